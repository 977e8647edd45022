# Half-fix: a one-event checkout takes a "fast path" through a bare spawn_monitor process that no supervisor knows about.
defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout to the message broker, at most
  `:max_concurrency` at once under `:supervisor`, each killed after `:timeout` ms.
  Returns `{:ok, value}` or `{:exit, reason}` per event, in event order.
  """
  require Logger

  def publish_all(events, opts \\ [])

  # One event needs no pool: publish it in a throwaway monitored process.
  def publish_all([event], opts) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)
    timeout = Keyword.get(opts, :timeout, 5_000)
    caller = self()
    {pid, ref} = spawn_monitor(fn -> send(caller, {self(), {:ok, publish.(event)}}) end)

    receive do
      {^pid, result} ->
        Process.demonitor(ref, [:flush])
        [result]

      {:DOWN, ^ref, :process, ^pid, reason} ->
        [{:exit, reason}]
    after
      timeout ->
        Process.exit(pid, :kill)

        receive do
          {:DOWN, ^ref, :process, ^pid, _} -> :ok
        end

        receive do
          {^pid, result} -> [result]
        after
          0 -> [{:exit, :timeout}]
        end
    end
  end

  def publish_all(events, opts) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)

    opts
    |> Keyword.get(:supervisor, Orders.TaskSupervisor)
    |> Task.Supervisor.async_stream_nolink(events, publish,
      max_concurrency: Keyword.get(opts, :max_concurrency, 8),
      timeout: Keyword.get(opts, :timeout, 5_000),
      on_timeout: :kill_task
    )
    |> Enum.to_list()
  end
end
