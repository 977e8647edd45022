defmodule Payments.IdempotencyHiddenTest do
  use ExUnit.Case

  alias Payments.Idempotency

  setup do
    %{store: start_supervised!({Idempotency, []}), tasks: start_supervised!(Task.Supervisor)}
  end

  @tag points: 1
  test "a first attempt killed mid-command releases its key: the retry runs the command",
       %{store: store} = ctx do
    worker = start_hanging_attempt(store, "key-crash")
    Process.exit(worker, :kill)

    refunds = :counters.new(1, [])

    retry =
      Task.Supervisor.async_nolink(ctx.tasks, fn ->
        Idempotency.run(store, "key-crash", fn ->
          :counters.add(refunds, 1, 1)
          {:ok, :refunded}
        end)
      end)

    result = Task.yield(retry, 5_000) || Task.shutdown(retry, :brutal_kill)

    assert result == {:ok, {:ok, :refunded}},
           "the first attempt was killed halfway (a deploy, an out-of-memory kill, a linked " <>
             "crash) and the retry got #{describe(result)}. A claim " <>
             "that outlives its process leaves the key stuck and the customer can never be " <>
             "refunded. Watch the process that holds the claim (Process.monitor/1) and " <>
             "release the key when it goes down."

    assert :counters.get(refunds, 1) == 1, "the retry must run the command exactly once"
  end

  @tag points: 2
  test "requests waiting on an attempt that dies are not left hanging: one runs, all share its reply",
       %{store: store} = ctx do
    worker = start_hanging_attempt(store, "key-crash")
    # 1: the refunds the retries made; 2: those made while the first attempt still ran.
    refunds = :counters.new(2, [])

    command = fn ->
      :counters.add(refunds, 1, 1)
      if Process.alive?(worker), do: :counters.add(refunds, 2, 1)
      Process.sleep(50)
      {:ok, %{id: "re_" <> Integer.to_string(System.unique_integer([:positive]))}}
    end

    # Eleven retries are all waiting on the first attempt (each blocked in run/3, its
    # request in the store's mailbox and handled).
    [hung_up | waiting] = start_waiting(ctx.tasks, store, 11, "key-crash", command)

    # One client hangs up: its waiting request is killed while the first attempt still runs.
    # That frees nothing: the refund is still in flight. (Whatever the store did about it,
    # the other retries have acted on it before the first attempt is killed.)
    ref = Process.monitor(hung_up.pid)
    Process.exit(hung_up.pid, :kill)
    assert_receive {:DOWN, ^ref, :process, _, _}, 5_000
    _ = :sys.get_state(store)
    settle(store, waiting)

    early = :counters.get(refunds, 2)
    Process.exit(worker, :kill)

    outcomes =
      for {task, outcome} <- Task.yield_many(waiting, 10_000) do
        outcome || Task.shutdown(task, :brutal_kill) || :no_answer
      end

    distinct = Enum.uniq(outcomes)
    issued = :counters.get(refunds, 1)

    assert early == 0,
           "a retry waiting on a refund still in flight was killed (its client hung up), and " <>
             "another retry then ran the refund while the first attempt was still running it: " <>
             "the customer was refunded twice. Only the attempt that holds the key releases it " <>
             "when it dies; a waiting duplicate that dies frees nothing (do not release the key " <>
             "on the :DOWN of a process that only waits)."

    assert match?([{:ok, {:ok, %{id: _}}}], distinct) and issued == 1,
           "ten retries were waiting on an attempt that was killed. The key must be released " <>
             "when the attempt dies; then exactly one retry runs the refund and the others " <>
             "get its reply. The gateway refunded #{issued} times and the retries got " <>
             "#{length(distinct)} different outcomes ({:ok, reply}, {:exit, reason} or " <>
             ":no_answer): #{inspect(Enum.take(distinct, 4))}"
  end

  @tag points: 1
  test "a command that raises releases its key, even when the caller survives, and the store lives on",
       %{store: store} = ctx do
    refunds = :counters.new(1, [])

    caller =
      Task.Supervisor.async_nolink(ctx.tasks, fn ->
        first =
          try do
            Idempotency.run(store, "key-raise", fn -> raise "gateway client bug" end)
          rescue
            exception -> {:raised, exception}
          catch
            :exit, reason -> {:exited, reason}
          end

        retry =
          Idempotency.run(store, "key-raise", fn ->
            :counters.add(refunds, 1, 1)
            {:ok, :refunded}
          end)

        {first, retry}
      end)

    result = Task.yield(caller, 5_000) || Task.shutdown(caller, :brutal_kill)

    assert Process.alive?(store),
           "the store process died when a command raised: run commands in the caller's " <>
             "process (or a task), never inside the store, so one bad command cannot wipe " <>
             "every stored reply"

    assert match?({:ok, {_first, {:ok, :refunded}}}, result) and :counters.get(refunds, 1) == 1,
           "a command raised in a caller that rescued the exception and retried with the " <>
             "same key; the retry got #{describe(result)}. A process " <>
             "monitor only fires when the process dies: release the claim on every way out " <>
             "of the command (try/after), and store nothing for a command that did not complete."
  end

  @tag points: 1
  test "a command that exits releases its key, even when the caller survives",
       %{store: store} = ctx do
    refunds = :counters.new(1, [])

    caller =
      Task.Supervisor.async_nolink(ctx.tasks, fn ->
        first =
          try do
            Idempotency.run(store, "key-exit", fn -> exit(:gateway_connection_closed) end)
          rescue
            exception -> {:raised, exception}
          catch
            :exit, reason -> {:exited, reason}
          end

        retry =
          Idempotency.run(store, "key-exit", fn ->
            :counters.add(refunds, 1, 1)
            {:ok, :refunded}
          end)

        {first, retry}
      end)

    result = Task.yield(caller, 5_000) || Task.shutdown(caller, :brutal_kill)

    assert Process.alive?(store),
           "the store process died when a command exited: run commands outside the store"

    assert match?({:ok, {_first, {:ok, :refunded}}}, result) and :counters.get(refunds, 1) == 1,
           "a command exited (the gateway client's connection closed: exit(:gateway_connection_closed)) " <>
             "in a caller that caught the exit and retried with the same key; the retry got " <>
             "#{describe(result)}. `rescue` only sees exceptions: an exit (or a throw) goes " <>
             "past it and leaves the key claimed. Release the claim in `after`, which runs on " <>
             "every way out, or catch every kind (`catch kind, reason ->` ... re-raise)."
  end

  @tag points: 2
  test "requests waiting on a command that raises are not left hanging: one runs, all share its reply",
       %{store: store} = ctx do
    test = self()
    refunds = :counters.new(1, [])

    # The first attempt's caller rescues the failure and stays alive: no :DOWN comes for it.
    first =
      Task.Supervisor.async_nolink(ctx.tasks, fn ->
        outcome =
          try do
            Idempotency.run(store, "key-raise", fn ->
              send(test, {:command_running, self()})

              receive do
                :fail -> raise "gateway client bug"
              end
            end)
          rescue
            exception -> {:raised, exception}
          catch
            :exit, reason -> {:exited, reason}
          end

        send(test, {:first_attempt_ended, outcome})

        receive do
          :stop -> outcome
        end
      end)

    assert_receive {:command_running, worker}, 5_000
    runs = :atomics.new(1, [])

    # The first retry to run the refund holds it until the test lets it go; any later run
    # (there must be none) returns at once.
    command = fn ->
      :counters.add(refunds, 1, 1)

      if :atomics.add_get(runs, 1, 1) == 1 do
        send(test, {:retry_running, self()})

        receive do
          :finish -> :ok
        end
      end

      {:ok, %{id: "re_" <> Integer.to_string(System.unique_integer([:positive]))}}
    end

    waiting = start_waiting(ctx.tasks, store, 10, "key-raise", command)
    send(worker, :fail)
    assert_receive {:first_attempt_ended, _outcome}, 5_000

    # While a retry runs the refund, the first attempt's caller ends (its web request is
    # over). The key is the retry's now: the end of the failed caller must not free it.
    receive do
      {:retry_running, runner} ->
        ref = Process.monitor(first.pid)
        send(first.pid, :stop)
        assert_receive {:DOWN, ^ref, :process, _, _}, 5_000
        _ = :sys.get_state(store)
        send(runner, :finish)
    after
      5_000 -> send(first.pid, :stop)
    end

    outcomes =
      for {task, outcome} <- Task.yield_many(waiting, 10_000) do
        outcome || Task.shutdown(task, :brutal_kill) || :no_answer
      end

    distinct = Enum.uniq(outcomes)
    issued = :counters.get(refunds, 1)

    assert match?([{:ok, {:ok, %{id: _}}}], distinct) and issued == 1,
           "ten retries were waiting on an attempt whose command raised; its caller rescued " <>
             "the exception and lives on, and ends while a retry runs the refund. Releasing " <>
             "the key must also answer the requests waiting on it, so that they claim again: " <>
             "exactly one runs the refund, the others get its reply. And once released, the " <>
             "failed attempt has no say over the key: when its caller ends, the :DOWN (or " <>
             "whatever watches it) must not free the claim of the retry that now holds the " <>
             "key (drop the monitor on release, or release only the claim it was made for). " <>
             "The gateway refunded #{issued} times and the retries got " <>
             "#{length(distinct)} different outcomes ({:ok, reply}, {:exit, reason} or " <>
             ":no_answer): #{inspect(Enum.take(distinct, 4))}"
  end

  @tag points: 2
  test "20 keys with 10 concurrent requests each: every key runs once and shares its reply",
       %{store: store} = ctx do
    refunds = :counters.new(20, [])

    command = fn i ->
      fn ->
        :counters.add(refunds, i, 1)
        Process.sleep(20)
        {:ok, %{key: i, id: System.unique_integer([:positive])}}
      end
    end

    # The store is held until the 200 requests wait in its mailbox, then let go: every
    # request arrives before the store answers any, on every run.
    :ok = :sys.suspend(store)

    started =
      try do
        started =
          for i <- 1..20, _ <- 1..10 do
            {i,
             Task.Supervisor.async_nolink(ctx.tasks, fn ->
               Idempotency.run(store, "key-#{i}", command.(i))
             end)}
          end

        await_mailbox(store, 200, System.monotonic_time(:millisecond) + 2_000)
        started
      after
        :ok = :sys.resume(store)
      end

    outcomes = Task.yield_many(Enum.map(started, &elem(&1, 1)), 15_000)

    by_key =
      Enum.zip_with(started, outcomes, fn {i, _}, {task, outcome} ->
        {i, outcome || Task.shutdown(task, :brutal_kill) || :no_answer}
      end)
      |> Enum.group_by(&elem(&1, 0), &elem(&1, 1))

    for i <- 1..20 do
      distinct = Enum.uniq(by_key[i])
      issued = :counters.get(refunds, i)

      assert issued == 1 and match?([{:ok, {:ok, %{key: ^i}}}], distinct),
             "key-#{i}: 10 concurrent requests ran the command #{issued} times and got " <>
               "#{inspect(Enum.take(distinct, 3))}; each key must run once and every caller " <>
               "of that key must get its reply"
    end
  end

  # Starts `n` requests for `key` and returns once each is blocked in run/3 (waiting for the
  # store's answer, or polling with a sleep) or has ended, and the store has handled every
  # request already in its mailbox.
  defp start_waiting(tasks, store, n, key, command) do
    test = self()

    waiting =
      for _ <- 1..n do
        Task.Supervisor.async_nolink(tasks, fn ->
          send(test, {:requesting, self()})
          Idempotency.run(store, key, command)
        end)
      end

    deadline = System.monotonic_time(:millisecond) + 5_000

    for task <- waiting do
      pid = task.pid
      assert_receive {:requesting, ^pid}, 5_000
      await_waiting(pid, deadline)
    end

    _ = :sys.get_state(store)
    waiting
  end

  # Twice: until every task is blocked again (or has ended), then until the store has handled
  # what they sent. Whatever the store answered them, they have acted on it.
  defp settle(store, tasks) do
    for _round <- 1..2 do
      deadline = System.monotonic_time(:millisecond) + 5_000
      Enum.each(tasks, &await_waiting(&1.pid, deadline))
      _ = :sys.get_state(store)
    end
  end

  defp await_waiting(pid, deadline) do
    case Process.info(pid, :status) do
      {:status, :waiting} ->
        :ok

      nil ->
        :ok

      _running ->
        if System.monotonic_time(:millisecond) < deadline do
          Process.sleep(1)
          await_waiting(pid, deadline)
        end
    end
  end

  # Until `n` messages wait for the store, or the deadline: a store that is not asked by
  # every request (an ETS table, say) is simply let go after it.
  defp await_mailbox(store, n, deadline) do
    {:message_queue_len, queued} = Process.info(store, :message_queue_len)

    if queued < n and System.monotonic_time(:millisecond) < deadline do
      Process.sleep(1)
      await_mailbox(store, n, deadline)
    end
  end

  defp describe(nil), do: "no answer within 5 s"
  defp describe(result), do: inspect(result)

  # Starts a first attempt at `key` whose command never finishes; returns the pid of the
  # process running the command (the caller or any process the store runs it in).
  defp start_hanging_attempt(store, key) do
    test = self()

    spawn(fn ->
      Idempotency.run(store, key, fn ->
        send(test, {:command_running, self()})
        Process.sleep(:infinity)
      end)
    end)

    assert_receive {:command_running, worker}, 5_000
    worker
  end
end
