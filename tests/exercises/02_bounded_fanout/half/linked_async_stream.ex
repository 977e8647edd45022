# Half-fix: bounded with Task.async_stream, but the tasks are linked to the request and a timeout exits it.
defmodule Orders.Events do
  @moduledoc "Publishes the domain events of a checkout to the message broker."

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)

    events
    |> Task.async_stream(publish,
      max_concurrency: Keyword.get(opts, :max_concurrency, 8),
      timeout: Keyword.get(opts, :timeout, 5_000)
    )
    |> Enum.to_list()
  end
end
