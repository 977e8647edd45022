# Half-fix: batches with Task.yield_many report {:exit, :timeout}, but the late task is never killed and keeps running.
defmodule Orders.Events do
  @moduledoc "Publishes the domain events of a checkout to the message broker."

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)
    supervisor = Keyword.get(opts, :supervisor, Orders.TaskSupervisor)
    timeout = Keyword.get(opts, :timeout, 5_000)

    events
    |> Enum.chunk_every(Keyword.get(opts, :max_concurrency, 8))
    |> Enum.flat_map(fn batch ->
      batch
      |> Enum.map(fn event ->
        Task.Supervisor.async_nolink(supervisor, fn -> publish.(event) end)
      end)
      |> Task.yield_many(timeout)
      |> Enum.map(fn {_task, result} -> result || {:exit, :timeout} end)
    end)
  end
end
