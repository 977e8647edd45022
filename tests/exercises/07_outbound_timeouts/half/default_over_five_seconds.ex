# Half-fix (done means 2): the default is finite but 7 seconds, longer than the 5 a waiting customer is given.
defmodule Checkout.Tax do
  @moduledoc false
  require Logger

  # The provider is slow at month end: give it a generous but finite deadline.
  @default_timeout 7_000

  def fetch(provider, order, opts \\ []) do
    timeout = Keyword.get(opts, :timeout, @default_timeout)
    task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    case Task.yield(task, timeout) || Task.shutdown(task, :brutal_kill) do
      {:ok, result} -> handle(result, order)
      nil -> {:error, :timeout}
      {:exit, reason} -> exit(reason)
    end
  end

  defp handle({:ok, tax_cents}, _order), do: {:ok, tax_cents}

  defp handle({:error, reason}, order) do
    Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
    {:error, reason}
  end
end
