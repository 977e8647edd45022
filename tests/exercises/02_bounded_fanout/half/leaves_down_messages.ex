# Half-fix: batches of max_concurrency supervised tasks, each awaited with Task.yield; a late one is killed with
# Process.exit/2, but its monitor stays, so its :DOWN message is left in the request's mailbox.
defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout to the message broker, at most `:max_concurrency`
  at a time under `:supervisor`; a publish still running after `:timeout` ms is killed.
  Returns `{:ok, value}` or `{:exit, reason}` per event, in event order.
  """

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)
    supervisor = Keyword.get(opts, :supervisor, Orders.TaskSupervisor)
    timeout = Keyword.get(opts, :timeout, 5_000)

    events
    |> Enum.chunk_every(Keyword.get(opts, :max_concurrency, 8))
    |> Enum.flat_map(fn batch ->
      batch
      |> Enum.map(&Task.Supervisor.async_nolink(supervisor, fn -> publish.(&1) end))
      |> Enum.map(&await(&1, timeout))
    end)
  end

  defp await(task, timeout) do
    case Task.yield(task, timeout) do
      {:ok, value} ->
        {:ok, value}

      {:exit, reason} ->
        {:exit, reason}

      nil ->
        Process.exit(task.pid, :kill)
        {:exit, :timeout}
    end
  end
end
