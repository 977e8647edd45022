# Half-fix: every publish now runs under the Task.Supervisor, but still one task per event, fire and forget.
defmodule Orders.Events do
  @moduledoc "Publishes the domain events of a checkout to the message broker."
  require Logger

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)
    supervisor = Keyword.get(opts, :supervisor, Orders.TaskSupervisor)

    for event <- events do
      {:ok, _pid} = Task.Supervisor.start_child(supervisor, fn -> publish.(event) end)
    end

    Logger.debug("publishing #{length(events)} events")
    :ok
  end
end
