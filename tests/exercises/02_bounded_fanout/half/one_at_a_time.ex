# Half-fix: supervised, unlinked, killed on timeout and never more than the bound, because it publishes one event at a time.
defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout to the message broker, one at a time, each in a
  task under `:supervisor`, killed after `:timeout` ms. Returns `{:ok, value}` or
  `{:exit, reason}` per event, in event order.
  """

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)
    supervisor = Keyword.get(opts, :supervisor, Orders.TaskSupervisor)
    timeout = Keyword.get(opts, :timeout, 5_000)

    Enum.map(events, fn event ->
      task = Task.Supervisor.async_nolink(supervisor, fn -> publish.(event) end)
      Task.yield(task, timeout) || Task.shutdown(task, :brutal_kill) || {:exit, :timeout}
    end)
  end
end
