defmodule Orders.EventsHiddenTest do
  use ExUnit.Case

  alias Orders.Events

  setup do
    start_supervised!({Task.Supervisor, name: Orders.HiddenTestTasks})
    :ok
  end

  defp as_request(fun, timeout \\ 5_000) do
    test = self()
    {pid, ref} = spawn_monitor(fn -> send(test, {:returned, self(), fun.()}) end)

    receive do
      {:returned, ^pid, value} ->
        Process.demonitor(ref, [:flush])
        {:returned, value}

      {:DOWN, ^ref, :process, ^pid, reason} ->
        {:crashed, reason}
    after
      timeout ->
        Process.exit(pid, :kill)
        :hung
    end
  end

  defp gauged(gauge, hold_until, hold_ms) do
    test = self()

    fn event ->
      in_flight = :atomics.add_get(gauge, 1, 1)
      raise_peak(gauge, in_flight)

      try do
        wait_until(fn -> :atomics.get(gauge, 1) >= hold_until end, hold_ms)
        event
      after
        :atomics.sub(gauge, 1, 1)
        send(test, {:done, event, self()})
      end
    end
  end

  defp raise_peak(gauge, value) do
    peak = :atomics.get(gauge, 2)

    if value > peak and :atomics.compare_exchange(gauge, 2, peak, value) != :ok,
      do: raise_peak(gauge, value),
      else: :ok
  end

  defp wait_until(condition, ms_left) do
    cond do
      condition.() ->
        :ok

      ms_left <= 0 ->
        :gave_up

      true ->
        Process.sleep(5)
        wait_until(condition, ms_left - 5)
    end
  end

  defp opts(extra), do: Keyword.merge([supervisor: Orders.HiddenTestTasks, timeout: 2_000], extra)

  @tag points: 2
  test "a publish cut off by :timeout is killed, not left running in the background" do
    test = self()

    publish = fn
      :stuck ->
        send(test, {:stuck_pid, self()})
        Process.sleep(30_000)

      event ->
        event
    end

    outcome =
      as_request(fn ->
        Events.publish_all([:a, :stuck], opts(publish: publish, max_concurrency: 2, timeout: 500))
      end)

    assert {:returned, [{:ok, :a}, {:exit, :timeout}]} = outcome
    assert_receive {:stuck_pid, pid}, 1_000
    ref = Process.monitor(pid)

    assert_receive {:DOWN, ^ref, :process, ^pid, _reason},
                   1_000,
                   "the publish that timed out is still running after publish_all/2 returned: " <>
                     "reporting {:exit, :timeout} is not enough, the task must be killed " <>
                     "(Task.shutdown(task, :brutal_kill), or on_timeout: :kill_task)"
  end

  @tag points: 1
  test "a publish that raises or exits is reported as {:exit, reason} in its own slot" do
    publish = fn
      :raises -> raise "broker said no"
      :exits -> exit(:connection_closed)
      event -> event
    end

    outcome =
      as_request(fn ->
        Events.publish_all([:a, :raises, :exits, :b], opts(publish: publish, max_concurrency: 4))
      end)

    assert {:returned, [first, raised, exited, last]} = outcome
    assert first == {:ok, :a}

    assert match?({:exit, {%RuntimeError{message: "broker said no"}, _stack}}, raised),
           "a raising publish must show up as {:exit, {exception, stacktrace}}, got #{inspect(raised, limit: 4)}"

    assert exited == {:exit, :connection_closed}
    assert last == {:ok, :b}
  end

  @tag points: 1
  test "a publish that timed out frees its slot for the events still waiting" do
    publish = fn
      {:stuck, _} -> Process.sleep(30_000)
      event -> event
    end

    events = [{:stuck, 1}, {:stuck, 2}, 3, 4, 5, 6]

    outcome =
      as_request(fn ->
        Events.publish_all(events, opts(publish: publish, max_concurrency: 2, timeout: 500))
      end)

    assert outcome ==
             {:returned,
              [{:exit, :timeout}, {:exit, :timeout}, {:ok, 3}, {:ok, 4}, {:ok, 5}, {:ok, 6}]},
           "with both slots taken by stuck publishes, the remaining events must still be " <>
             "published once those time out; got #{inspect(outcome, limit: 8)}"
  end

  @tag points: 1
  test "publishes really run in parallel, up to :max_concurrency" do
    gauge = :atomics.new(2, [])
    events = Enum.to_list(1..12)
    publish = gauged(gauge, 4, 1_000)

    assert {:returned, results} =
             as_request(fn ->
               Events.publish_all(events, opts(publish: publish, max_concurrency: 4))
             end)

    assert length(results) == 12
    peak = :atomics.get(gauge, 2)

    assert peak == 4,
           "at most #{peak} publishes ran at once with max_concurrency: 4; bounded does not " <>
             "mean one at a time: use the slots you are given"
  end

  @tag points: 1
  test "without options, at most 8 publishes run at once, under Orders.TaskSupervisor" do
    gauge = :atomics.new(2, [])
    test = self()
    events = Enum.to_list(1..24)
    count = gauged(gauge, 9, 100)

    publish = fn event ->
      send(test, {:under, event, self() in Task.Supervisor.children(Orders.TaskSupervisor)})
      count.(event)
    end

    as_request(fn -> Events.publish_all(events, publish: publish) end)

    for event <- events do
      assert_receive {:done, ^event, _pid}, 5_000

      assert_receive {:under, ^event, true},
                     5_000,
                     "event #{event} did not run under Orders.TaskSupervisor"
    end

    assert :atomics.get(gauge, 2) <= 8,
           "#{:atomics.get(gauge, 2)} publishes ran at once with the default max_concurrency of 8"
  end

  @tag points: 1
  test "results stay in event order when publishes finish out of order" do
    # Later events finish first.
    publish = fn event ->
      Process.sleep((13 - event) * 5)
      event * 10
    end

    outcome =
      as_request(fn ->
        Events.publish_all(Enum.to_list(1..12), opts(publish: publish, max_concurrency: 12))
      end)

    assert outcome == {:returned, Enum.map(1..12, &{:ok, &1 * 10})},
           "results must be in the order of the events, whatever order the publishes " <>
             "finished in; got #{inspect(outcome)}"
  end

  @tag points: 1
  test "the request's mailbox is left clean: no task replies or :DOWN messages behind" do
    test = self()

    publish = fn
      :stuck -> Process.sleep(30_000)
      :raises -> raise "broker said no"
      event -> event
    end

    outcome =
      as_request(fn ->
        Events.publish_all([:a, :stuck, :raises, :b], opts(publish: publish, timeout: 500))

        receive do
          stray -> send(test, {:stray, stray})
        after
          100 -> :ok
        end
      end)

    assert outcome == {:returned, :ok}

    refute_received {:stray, _},
                    "a message was left in the request's mailbox after publish_all/2 " <>
                      "returned: demonitor with :flush and drain replies of killed tasks, or a " <>
                      "long-lived caller leaks memory one message at a time"
  end

  @tag points: 1
  test "an empty list of events publishes nothing and returns []" do
    assert as_request(fn -> Events.publish_all([], opts(publish: &Function.identity/1)) end) ==
             {:returned, []}
  end
end
