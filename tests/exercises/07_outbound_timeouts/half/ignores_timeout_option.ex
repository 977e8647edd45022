# Half-fix: a finite deadline, Task.yield and Task.shutdown, but the deadline is the module attribute: the caller's :timeout option is ignored.
defmodule Checkout.Tax do
  @moduledoc false
  require Logger

  @timeout 2_000

  def fetch(provider, order, _opts \\ []) do
    task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    case Task.yield(task, @timeout) || Task.shutdown(task, :brutal_kill) do
      {:ok, {:ok, tax_cents}} -> {:ok, tax_cents}
      {:ok, {:error, reason}} -> refused(order, reason)
      nil -> {:error, :timeout}
      {:exit, reason} -> exit(reason)
    end
  end

  defp refused(order, reason) do
    Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
    {:error, reason}
  end
end
