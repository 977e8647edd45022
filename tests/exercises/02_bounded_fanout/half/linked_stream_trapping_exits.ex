# Half-fix: the linked Task.Supervisor.async_stream, surviving a crashing publish by trapping exits in the caller while it publishes, so a shutdown sent to the request meanwhile is swallowed.
defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout to the message broker, at most
  `:max_concurrency` at once under `:supervisor`, each killed after `:timeout` ms.
  Returns `{:ok, value}` or `{:exit, reason}` per event, in event order.
  """
  require Logger

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)
    supervisor = Keyword.get(opts, :supervisor, Orders.TaskSupervisor)

    # A crashing publish must not take the request down: trap its exit signal.
    trapping = Process.flag(:trap_exit, true)

    try do
      supervisor
      |> Task.Supervisor.async_stream(events, publish,
        max_concurrency: Keyword.get(opts, :max_concurrency, 8),
        timeout: Keyword.get(opts, :timeout, 5_000),
        on_timeout: :kill_task
      )
      |> Enum.to_list()
    after
      flush_exits()
      Process.flag(:trap_exit, trapping)
    end
  end

  defp flush_exits do
    receive do
      {:EXIT, _pid, _reason} -> flush_exits()
    after
      0 -> :ok
    end
  end
end
