# Correct, a hand-rolled pool: at most N Task.Supervisor.async_nolink tasks in flight, a receive loop with per-task deadlines.
defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout to the message broker, at most
  `:max_concurrency` at a time, each under `:supervisor` and killed after `:timeout` ms.
  Returns `{:ok, value}` or `{:exit, reason}` per event, in event order.
  """

  def publish_all(events, opts \\ []) do
    config = %{
      publish: Keyword.get(opts, :publish, &Orders.Broker.publish/1),
      supervisor: Keyword.get(opts, :supervisor, Orders.TaskSupervisor),
      max: Keyword.get(opts, :max_concurrency, 8),
      timeout: Keyword.get(opts, :timeout, 5_000)
    }

    done = loop(Enum.with_index(events), %{}, %{}, config)
    for index <- 0..(length(events) - 1)//1, do: Map.fetch!(done, index)
  end

  # `running` maps a task's ref to {task, index, deadline}; `done` maps index to result.
  defp loop([], running, done, _config) when map_size(running) == 0, do: done

  defp loop([{event, index} | waiting], running, done, config)
       when map_size(running) < config.max do
    task = Task.Supervisor.async_nolink(config.supervisor, fn -> config.publish.(event) end)
    deadline = now() + config.timeout
    loop(waiting, Map.put(running, task.ref, {task, index, deadline}), done, config)
  end

  defp loop(waiting, running, done, config) do
    next_deadline = running |> Map.values() |> Enum.map(&elem(&1, 2)) |> Enum.min()

    receive do
      {ref, value} when is_map_key(running, ref) ->
        Process.demonitor(ref, [:flush])
        {{_task, index, _}, running} = Map.pop(running, ref)
        loop(waiting, running, Map.put(done, index, {:ok, value}), config)

      {:DOWN, ref, :process, _pid, reason} when is_map_key(running, ref) ->
        {{_task, index, _}, running} = Map.pop(running, ref)
        loop(waiting, running, Map.put(done, index, {:exit, reason}), config)
    after
      max(next_deadline - now(), 0) ->
        {expired, alive} =
          Enum.split_with(running, fn {_ref, {_, _, deadline}} -> deadline <= now() end)

        done =
          Enum.reduce(expired, done, fn {_ref, {task, index, _}}, done ->
            Map.put(done, index, Task.shutdown(task, :brutal_kill) || {:exit, :timeout})
          end)

        loop(waiting, Map.new(alive), done, config)
    end
  end

  defp now, do: System.monotonic_time(:millisecond)
end
