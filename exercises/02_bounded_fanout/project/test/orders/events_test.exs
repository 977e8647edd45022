defmodule Orders.EventsTest do
  use ExUnit.Case

  alias Orders.Events

  setup do
    start_supervised!({Task.Supervisor, name: Orders.TestTasks})
    :ok
  end

  # Runs `fun` in a separate, unlinked process standing in for the checkout request, so the
  # test sees whether the request survived, returned, or hung.
  defp as_request(fun, timeout \\ 5_000), do: start_request(fun).(timeout)

  defp raise_peak(gauge, value) do
    peak = :atomics.get(gauge, 2)

    if value > peak and :atomics.compare_exchange(gauge, 2, peak, value) != :ok,
      do: raise_peak(gauge, value),
      else: :ok
  end

  # Starts `fun` in a separate, unlinked process standing in for the checkout request, and
  # returns a function that waits for its outcome (like as_request/2).
  defp start_request(fun) do
    test = self()
    {pid, ref} = spawn_monitor(fn -> send(test, {:returned, self(), fun.()}) end)

    fn timeout ->
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
  end

  # A publish function held at a gate: each publish tells the test it started, then waits
  # until the test opens the gate. Slot 1 of `gauge` is the number in flight, slot 2 the
  # highest it reached, slot 3 is 1 once the gate is open.
  defp gated(gauge) do
    test = self()

    fn event ->
      in_flight = :atomics.add_get(gauge, 1, 1)
      raise_peak(gauge, in_flight)
      send(test, {:started, event, self()})

      try do
        if :atomics.get(gauge, 3) == 0 do
          receive do
            :open -> :ok
          end
        end

        event
      after
        :atomics.sub(gauge, 1, 1)
      end
    end
  end

  # Waits for `count` publishes to start (all of them held at the gate), then opens it and
  # lets every publish still to come run through. Returns the events that started while
  # the first `count` were held, besides those `count`.
  defp hold_then_open(gauge, events, count) do
    held = for _ <- 1..count, do: receive_started(5_000)
    extra = Enum.reverse(more_started([], 300))
    :atomics.put(gauge, 3, 1)
    started = held ++ extra
    for {_event, pid} <- started, do: send(pid, :open)

    for _ <- 1..(length(events) - length(started))//1 do
      {_event, pid} = receive_started(5_000)
      send(pid, :open)
    end

    {Enum.map(held, &elem(&1, 0)), Enum.map(extra, &elem(&1, 0))}
  end

  defp receive_started(timeout) do
    receive do
      {:started, event, pid} -> {event, pid}
    after
      timeout -> flunk("a publish did not start within #{timeout} ms")
    end
  end

  defp more_started(acc, timeout) do
    receive do
      {:started, event, pid} -> more_started([{event, pid} | acc], timeout)
    after
      timeout -> acc
    end
  end

  # The processes an exit of `pid` would reach: exit signals travel along links, and stop at a
  # process that traps exits (a supervisor turns them into messages). Such a process is
  # reached, but the walk does not go past it.
  defp reached_by_exit(pid), do: walk_links([pid], MapSet.new([pid]))

  defp walk_links([], seen), do: seen

  defp walk_links([pid | rest], seen) do
    linked =
      case Process.info(pid, :links) do
        {:links, links} -> for other <- links, is_pid(other), other not in seen, do: other
        nil -> []
      end

    passes_exits_on = Enum.reject(linked, &(Process.info(&1, :trap_exit) == {:trap_exit, true}))
    walk_links(rest ++ passes_exits_on, MapSet.union(seen, MapSet.new(linked)))
  end

  @opts [supervisor: Orders.TestTasks, max_concurrency: 4, timeout: 2_000]

  @tag points: 1
  test "publish_all/2 returns one {:ok, result} per event, in event order" do
    publish = fn event -> {:published, event} end

    outcome = as_request(fn -> Events.publish_all([1, 2, 3], [publish: publish] ++ @opts) end)

    assert outcome ==
             {:returned, [{:ok, {:published, 1}}, {:ok, {:published, 2}}, {:ok, {:published, 3}}]},
           "publish_all/2 must wait for the publishes and return their results, one per " <>
             "event in order ({:ok, value} or {:exit, reason}), so the request knows which " <>
             "events to retry. It gave #{inspect(outcome)}"
  end

  @tag points: 4
  test "never more than :max_concurrency publishes run at once" do
    gauge = :atomics.new(3, [])
    events = Enum.to_list(1..12)

    # The first publishes are held at a gate: with max_concurrency: 4, a 5th must not start
    # until one of them finishes, however long they take.
    publish = gated(gauge)
    await = start_request(fn -> Events.publish_all(events, [publish: publish] ++ @opts) end)
    {held, extra} = hold_then_open(gauge, events, 4)
    outcome = await.(5_000)

    assert extra == [],
           "while the publishes of events #{inspect(held)} were still running, " <>
             "#{length(extra)} more started with max_concurrency: 4. One task per event is " <>
             "unbounded: a big order (or a slow broker) turns into thousands of processes. " <>
             "Bound the fan-out"

    peak = :atomics.get(gauge, 2)
    assert peak <= 4, "#{peak} publishes ran at the same time with max_concurrency: 4"
    assert {:returned, _results} = outcome
  end

  @tag points: 2
  test "a publish slower than :timeout (default 5_000 ms) is cut off and reported as {:exit, :timeout}" do
    publish = fn
      :stuck -> Process.sleep(30_000)
      event -> event
    end

    opts = [publish: publish, supervisor: Orders.TestTasks, max_concurrency: 2, timeout: 500]
    outcome = as_request(fn -> Events.publish_all([:a, :stuck, :b], opts) end, 3_000)

    assert outcome == {:returned, [{:ok, :a}, {:exit, :timeout}, {:ok, :b}]},
           "with timeout: 500, a publish stuck on a dead broker must come back as " <>
             "{:exit, :timeout} in its slot while the others succeed, well before 3 s; the " <>
             "request got " <>
             "#{inspect(outcome, limit: 6)}. (Task.Supervisor.async_stream_nolink exits the " <>
             "caller on timeout unless you pass on_timeout: :kill_task)"

    # Without a :timeout option, a stuck publish is cut off at the default 5_000 ms, so this
    # part takes about 5 s. The publish says when it started and the test times it to its
    # :DOWN; the bounds (4 s to 9 s) leave a wide margin for a loaded machine either side.
    test = self()

    publish = fn
      :stuck ->
        send(test, {:stuck, self(), System.monotonic_time(:millisecond)})
        Process.sleep(30_000)

      event ->
        event
    end

    opts = [publish: publish, supervisor: Orders.TestTasks, max_concurrency: 2]
    await = start_request(fn -> Events.publish_all([:stuck, :b], opts) end)
    assert_receive {:stuck, pid, started}, 5_000, "the stuck publish did not start within 5 s"
    ref = Process.monitor(pid)

    lived =
      receive do
        {:DOWN, ^ref, :process, ^pid, _reason} -> System.monotonic_time(:millisecond) - started
      after
        9_000 -> :still_running
      end

    outcome = await.(2_000)

    assert is_integer(lived) and lived < 9_000,
           "with no :timeout option, a stuck publish was still running 9 s after it started: " <>
             "the default :timeout is 5_000 ms"

    assert lived >= 4_000,
           "with no :timeout option, a stuck publish was cut off after #{lived} ms: the " <>
             "default :timeout is 5_000 ms"

    assert outcome == {:returned, [{:exit, :timeout}, {:ok, :b}]},
           "with no :timeout option, the request got #{inspect(outcome, limit: 6)}"
  end

  @tag points: 2
  test "a publish that raises does not take the request down with it: no link to the caller, no trapped exits" do
    test = self()

    outcome =
      as_request(fn ->
        caller = self()

        # Each publish reports, while the request is still publishing, whether its own exit
        # would reach the request through links, and whether the request traps exits.
        publish = fn event ->
          send(
            test,
            {:done, event, caller in reached_by_exit(self()), Process.info(caller, :trap_exit)}
          )

          if event == :poison, do: raise("broker connection dropped"), else: event
        end

        result = Events.publish_all([:a, :poison, :b], [publish: publish] ++ @opts)
        {result, Process.info(caller, :trap_exit)}
      end)

    refute match?({:crashed, _}, outcome),
           "one failing publish crashed the checkout request: #{inspect(outcome, limit: 6)}. " <>
             "Publishing tasks must not be linked to the caller (use the *_nolink functions)"

    for event <- [:a, :poison, :b] do
      assert_receive {:done, ^event, linked?, trapping}, 5_000

      refute linked?,
             "the process publishing #{inspect(event)} was linked to the checkout request " <>
               "(directly or through a process that passes exits on): when it crashes, the " <>
               "request dies with it. Start the tasks with the *_nolink functions"

      refute trapping == {:trap_exit, true},
             "the request trapped exits while it was publishing: that hides a crash behind " <>
               "linked tasks, and also swallows the shutdown its own supervisor sends it. " <>
               "Leave the caller's trap_exit alone, use tasks that are not linked to it"
    end

    assert {:returned, {_results, {:trap_exit, false}}} = outcome
  end

  @tag points: 2
  test "publishes run as children of the given :supervisor, a single event's too" do
    test = self()
    supervisor = Process.whereis(Orders.TestTasks)

    publish = fn event ->
      ancestors = Process.get(:"$ancestors", [])

      supervised? =
        self() in Task.Supervisor.children(Orders.TestTasks) or supervisor in ancestors or
          Orders.TestTasks in ancestors

      send(test, {:ran, event, supervised?})
      event
    end

    as_request(fn -> Events.publish_all([1, 2, 3], [publish: publish] ++ @opts) end)
    # A one-event checkout too: no shortcut around the supervisor for a single event.
    as_request(fn -> Events.publish_all([4], [publish: publish] ++ @opts) end)

    for event <- [1, 2, 3, 4] do
      assert_receive {:ran, ^event, supervised?}, 5_000

      assert supervised?,
             "event #{event} was published by a process outside the Task.Supervisor passed " <>
               "as :supervisor: an unsupervised task has no owner, no shutdown, and shows " <>
               "up nowhere when you look for it"
    end
  end
end
