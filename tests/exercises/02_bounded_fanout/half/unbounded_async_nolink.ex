# Half-fix: supervised, not linked, waits and kills the late ones, but starts one task per event at once: no bound.
defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout to the message broker, each in a task under
  `:supervisor`; a publish still running after `:timeout` ms is killed. Returns `{:ok, value}`
  or `{:exit, reason}` per event, in event order.
  """
  require Logger

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)
    supervisor = Keyword.get(opts, :supervisor, Orders.TaskSupervisor)
    timeout = Keyword.get(opts, :timeout, 5_000)

    events
    |> Enum.map(fn event -> Task.Supervisor.async_nolink(supervisor, fn -> publish.(event) end) end)
    |> Task.yield_many(timeout)
    |> Enum.map(fn
      {_task, {:ok, _} = ok} ->
        ok

      {_task, {:exit, reason} = exit} ->
        Logger.warning("publish failed: #{inspect(reason)}")
        exit

      {task, nil} ->
        Task.shutdown(task, :brutal_kill) || {:exit, :timeout}
    end)
  end
end
