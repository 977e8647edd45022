# Half-fix: gives up on time and stops what it started, by stopping every request under the task supervisor: other customers' calls in flight die with it.
defmodule Checkout.Tax do
  @moduledoc false
  require Logger

  @default_timeout 2_000

  def fetch(provider, order, opts \\ []) do
    timeout = Keyword.get(opts, :timeout, @default_timeout)
    task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    case Task.yield(task, timeout) do
      {:ok, {:ok, tax_cents}} ->
        {:ok, tax_cents}

      {:ok, {:error, reason}} ->
        Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
        {:error, reason}

      {:exit, reason} ->
        exit(reason)

      nil ->
        # Nothing may stay running once we give up.
        for pid <- Task.Supervisor.children(Checkout.TaskSupervisor),
            do: Task.Supervisor.terminate_child(Checkout.TaskSupervisor, pid)

        Process.demonitor(task.ref, [:flush])
        {:error, :timeout}
    end
  end
end
