# Half-fix: results are collected in a map keyed by the event itself, so two equal events both get whichever result came last.
defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout to the message broker, at most
  `:max_concurrency` at once under `:supervisor`, each killed after `:timeout` ms.
  Results are gathered as publishes finish and returned in event order.
  """
  require Logger

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)

    by_event =
      opts
      |> Keyword.get(:supervisor, Orders.TaskSupervisor)
      |> Task.Supervisor.async_stream_nolink(events, fn event -> {event, publish.(event)} end,
        max_concurrency: Keyword.get(opts, :max_concurrency, 8),
        timeout: Keyword.get(opts, :timeout, 5_000),
        on_timeout: :kill_task,
        ordered: false,
        zip_input_on_exit: true
      )
      |> Map.new(fn
        {:ok, {event, value}} -> {event, {:ok, value}}
        {:exit, {event, reason}} -> {event, {:exit, reason}}
      end)

    Enum.map(events, &Map.fetch!(by_event, &1))
  end
end
