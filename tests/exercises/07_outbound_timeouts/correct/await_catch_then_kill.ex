# Correct, different style: Task.await under an unlinked supervised task, its timeout exit caught precisely, then the request killed (terminate_child would wait up to 5 s for a client that traps exits).
defmodule Checkout.Tax do
  @moduledoc false
  require Logger

  @default_timeout 2_000

  def fetch(provider, order, opts \\ []) do
    timeout = Keyword.get(opts, :timeout, @default_timeout)
    task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    try do
      Task.await(task, timeout)
    catch
      # Only our own deadline: any other exit (a crash in the client) goes on up.
      :exit, {:timeout, {Task, :await, _}} ->
        # Task.await has already dropped the monitor; stop the request and drop a late reply.
        Process.exit(task.pid, :kill)
        flush_reply(task.ref)
        {:error, :timeout}
    else
      {:ok, tax_cents} ->
        {:ok, tax_cents}

      {:error, reason} ->
        Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
        {:error, reason}
    end
  end

  defp flush_reply(ref) do
    receive do
      {^ref, _late} -> :ok
    after
      0 -> :ok
    end
  end
end
