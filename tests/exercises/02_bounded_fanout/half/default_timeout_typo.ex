# Half-fix: bounded, supervised, killed on timeout, but the :timeout default is 50_000 (a typo for 5_000), so without the option a stuck publish holds its slot and the request for 50 s.
defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout (order placed, stock reserved, invoice
  requested, ...) to the message broker.

  The checkout request calls `publish_all/2` before it answers the customer. At most
  `:max_concurrency` events are published at once, each in a task under `:supervisor`, and
  a publish that takes longer than `:timeout` is killed. The result has one entry per
  event, in order: `{:ok, value}`, or `{:exit, reason}` (`{:exit, :timeout}` when cut off),
  so the caller can put the failed events in the outbox for a retry.

  Options:
    * `:publish` - publishes one event (default `&Orders.Broker.publish/1`)
    * `:supervisor` - the Task.Supervisor to run publishes under (default `Orders.TaskSupervisor`)
    * `:max_concurrency` - how many events may be published at once (default 8)
    * `:timeout` - how long one publish may take, in ms (default 5_000)
  """
  require Logger

  @spec publish_all([term], keyword) :: [{:ok, term} | {:exit, term}]
  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)
    supervisor = Keyword.get(opts, :supervisor, Orders.TaskSupervisor)

    results =
      supervisor
      |> Task.Supervisor.async_stream_nolink(events, publish,
        max_concurrency: Keyword.get(opts, :max_concurrency, 8),
        timeout: Keyword.get(opts, :timeout, 50_000),
        on_timeout: :kill_task,
        ordered: true
      )
      |> Enum.to_list()

    failed = Enum.count(results, &match?({:exit, _}, &1))
    if failed > 0, do: Logger.warning("#{failed} of #{length(events)} events were not published")
    results
  end
end
