# Half-fix: the playbook's async_stream_nolink, but with the default on_timeout: :exit, so one slow publish crashes the request.
defmodule Orders.Events do
  @moduledoc "Publishes the domain events of a checkout to the message broker."

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)

    Keyword.get(opts, :supervisor, Orders.TaskSupervisor)
    |> Task.Supervisor.async_stream_nolink(events, publish,
      max_concurrency: Keyword.get(opts, :max_concurrency, 8),
      timeout: Keyword.get(opts, :timeout, 5_000)
    )
    |> Enum.to_list()
  end
end
