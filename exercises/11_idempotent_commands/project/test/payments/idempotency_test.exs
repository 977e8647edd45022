defmodule Payments.IdempotencyTest do
  use ExUnit.Case

  alias Payments.Idempotency

  setup do
    %{store: start_supervised!({Idempotency, []}), tasks: start_supervised!(Task.Supervisor)}
  end

  @tag points: 1
  test "a first request runs the command and returns its reply", %{store: store} do
    assert Idempotency.run(store, "key-1", fn -> {:ok, %{id: "re_1"}} end) == {:ok, %{id: "re_1"}}
  end

  @tag points: 3
  test "50 concurrent retries with one key refund the customer once", %{store: store} = ctx do
    refunds = :counters.new(1, [])
    command = refund_command(refunds, 50)

    concurrently(store, ctx.tasks, 50, fn -> Idempotency.run(store, "key-1", command) end)
    issued = :counters.get(refunds, 1)

    assert issued == 1,
           "50 requests with the idempotency key \"key-1\" arrived together and the gateway " <>
             "refunded #{issued} times: the customer got their money back #{issued} times. " <>
             "Looking for a stored reply and saving one are two separate steps, and every " <>
             "request that looks in between sees nothing and runs the command. (The test " <>
             "holds the store until all 50 requests are in its mailbox, then lets it go, as a " <>
             "burst of retries does.) Claim the key in one atomic step, before the command runs."
  end

  @tag points: 2
  test "every one of 50 concurrent retries gets the same reply", %{store: store} = ctx do
    refunds = :counters.new(1, [])
    command = refund_command(refunds, 50)

    results =
      concurrently(store, ctx.tasks, 50, fn -> Idempotency.run(store, "key-1", command) end)

    distinct = Enum.uniq(results)

    assert match?([{:ok, {:ok, %{id: _}}}], distinct),
           "the 50 callers of one key must all get the reply of the one refund, so every " <>
             "client shows the same refund id. A request that arrives while the refund is " <>
             "running waits for it. They got #{length(distinct)} different outcomes " <>
             "({:ok, reply}, {:exit, reason} or :no_answer): " <>
             inspect(Enum.take(distinct, 5))
  end

  @tag points: 1
  test "a retry after the command completed gets the stored reply without running it again",
       %{store: store} do
    refunds = :counters.new(1, [])
    first = Idempotency.run(store, "key-1", refund_command(refunds, 1))
    retry = Idempotency.run(store, "key-1", refund_command(refunds, 1))

    assert retry == first,
           "the retry must get the first reply #{inspect(first)}, it got #{inspect(retry)}"

    assert :counters.get(refunds, 1) == 1,
           "the retry of a completed refund ran the command again: the customer was refunded twice"

    # The first request's process (a web request) has ended by the time the retry comes.
    first = Task.async(fn -> Idempotency.run(store, "key-2", refund_command(refunds, 1)) end)
    first_reply = Task.await(first, 5_000)
    ref = Process.monitor(first.pid)
    assert_receive {:DOWN, ^ref, :process, _, _}, 5_000
    # Whatever the store does when that process ends, it has done by now.
    _ = :sys.get_state(store)
    retry = Idempotency.run(store, "key-2", refund_command(refunds, 1))

    assert retry == first_reply and :counters.get(refunds, 1) == 2,
           "a retry came after the first request's process had ended and got " <>
             "#{inspect(retry)}, not the stored reply #{inspect(first_reply)}: a completed " <>
             "command's reply is kept for every later retry, whatever became of the process " <>
             "that ran it (forget a monitor once the command has completed)"

    # A refund the gateway declined completed too: it returned, it did not raise, exit or
    # get killed. Its reply is stored like any other.
    declined =
      Idempotency.run(store, "key-3", fn ->
        :counters.add(refunds, 1, 1)
        {:error, :declined}
      end)

    retry = Idempotency.run(store, "key-3", refund_command(refunds, 1))

    assert declined == {:error, :declined} and retry == declined and
             :counters.get(refunds, 1) == 3,
           "the gateway declined a refund: the command completed with {:error, :declined}. " <>
             "A retry with that key got #{inspect(retry)} and the gateway was asked " <>
             "#{:counters.get(refunds, 1) - 2} times in all. An error reply is a reply: " <>
             "store it like any other, so the retry gets it and nothing runs again; only an " <>
             "attempt that crashes (raises, exits or is killed) stores nothing"
  end

  @tag points: 1
  test "different keys each run their own command and keep their own reply", %{store: store} do
    refunds = :counters.new(1, [])
    keys = ["key-a", "key-b", "key-c"]
    replies = for key <- keys, do: Idempotency.run(store, key, refund_command(refunds, 1))

    assert :counters.get(refunds, 1) == 3,
           "three different keys are three different refunds: each must run its command"

    assert length(Enum.uniq(replies)) == 3,
           "each key must keep its own reply, got #{inspect(replies)}"

    again = for key <- keys, do: Idempotency.run(store, key, fn -> :must_not_run end)
    assert again == replies, "each key must answer its own stored reply on a retry"
  end

  @tag points: 1
  test "a slow command on one key does not hold up requests with other keys",
       %{store: store} = ctx do
    test = self()

    slow =
      Task.Supervisor.async_nolink(ctx.tasks, fn ->
        Idempotency.run(store, "key-slow", fn ->
          send(test, {:slow_command_running, self()})

          receive do
            :finish -> {:ok, :slow}
          end
        end)
      end)

    assert_receive {:slow_command_running, slow_pid}, 5_000

    # A retry of the slow refund arrives and waits for it; its wait must hold up no one either.
    duplicate =
      Task.Supervisor.async_nolink(ctx.tasks, fn ->
        send(test, {:requesting, self()})
        Idempotency.run(store, "key-slow", fn -> {:ok, :duplicate} end)
      end)

    assert_receive {:requesting, duplicate_pid}, 5_000
    await_waiting(duplicate_pid)

    other =
      Task.Supervisor.async_nolink(ctx.tasks, fn ->
        Idempotency.run(store, "key-other", fn -> {:ok, :other} end)
      end)

    result = Task.yield(other, 5_000) || Task.shutdown(other, :brutal_kill)

    assert result == {:ok, {:ok, :other}},
           "a request with \"key-other\" got #{if result, do: inspect(result), else: "no answer within 5 s"} while " <>
             "a command with \"key-slow\" was running and a retry of it was waiting. Keys " <>
             "are independent: do not run commands inside the store process, where one slow " <>
             "gateway call blocks everyone, and do not make the store itself wait for a " <>
             "running command (keep the waiting caller's `from` and answer it later)."

    send(slow_pid, :finish)
    assert Task.yield(slow, 5_000) == {:ok, {:ok, :slow}}
    Task.shutdown(duplicate, :brutal_kill)
  end

  # A refund through a gateway that takes `ms` milliseconds; `refunds` counts the real ones.
  defp refund_command(refunds, ms) do
    fn ->
      :counters.add(refunds, 1, 1)
      Process.sleep(ms)
      {:ok, %{id: "re_" <> Integer.to_string(System.unique_integer([:positive]))}}
    end
  end

  # Runs `fun` in `n` processes at once; returns each one's outcome: {:ok, value},
  # {:exit, reason} or :no_answer (nothing within 10 s). The store is held (:sys.suspend/1)
  # until the n requests wait in its mailbox, then let go: every request arrives before the
  # store answers any of them, the worst case a burst of retries can produce, on every run.
  defp concurrently(store, tasks, n, fun) do
    :ok = :sys.suspend(store)

    started =
      try do
        started = for _ <- 1..n, do: Task.Supervisor.async_nolink(tasks, fun)
        await_mailbox(store, n, System.monotonic_time(:millisecond) + 2_000)
        started
      after
        :ok = :sys.resume(store)
      end

    for {task, outcome} <- Task.yield_many(started, 10_000) do
      outcome || Task.shutdown(task, :brutal_kill) || :no_answer
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

  # Until `pid` is blocked in a receive (waiting for the store's answer, or polling with a
  # sleep) or has ended.
  defp await_waiting(pid, deadline \\ System.monotonic_time(:millisecond) + 5_000) do
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
end
