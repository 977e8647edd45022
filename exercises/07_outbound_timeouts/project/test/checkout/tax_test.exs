defmodule Checkout.TaxTest do
  use ExUnit.Case

  alias Checkout.Tax

  @order %{id: "ord_1", total_cents: 10_000}
  @observer :checkout_tax_test

  defmodule FastProvider do
    @behaviour Checkout.TaxProvider
    def tax(%{total_cents: total}), do: {:ok, div(total * 8, 100)}
  end

  defmodule HungProvider do
    # A hung connection: tells the test which process runs the request, then never answers.
    @behaviour Checkout.TaxProvider
    def tax(_order) do
      if observer = Process.whereis(:checkout_tax_test), do: send(observer, {:called, self()})
      Process.sleep(:infinity)
    end
  end

  defmodule SlowProvider do
    # A slow answer: tells the test which process runs the request, answers when told to.
    @behaviour Checkout.TaxProvider
    def tax(_order) do
      if observer = Process.whereis(:checkout_tax_test), do: send(observer, {:slow, self()})

      receive do
        :answer_now -> {:ok, 1_234}
      end
    end
  end

  defmodule LateProvider do
    # A late answer: it comes 800 ms after the request starts.
    @behaviour Checkout.TaxProvider
    def tax(_order) do
      Process.sleep(800)
      {:ok, 4_321}
    end
  end

  setup do
    # The previous test's process may still be exiting: wait until it has let go of the name.
    if previous = Process.whereis(@observer) do
      ref = Process.monitor(previous)
      assert_receive {:DOWN, ^ref, :process, _, _}, 5_000
    end

    Process.register(self(), @observer)
    :ok
  end

  @tag points: 1
  test "a fast provider's answer is returned as {:ok, tax_cents}" do
    assert Tax.fetch(FastProvider, @order, timeout: 5_000) == {:ok, 800}
  end

  @tag points: 3
  test "a provider that never answers gives {:error, :timeout} once :timeout has passed" do
    started = System.monotonic_time(:millisecond)
    outcome = run_caller(fn -> Tax.fetch(HungProvider, @order, timeout: 3_000) end, 15_000)
    elapsed = System.monotonic_time(:millisecond) - started

    assert outcome == {:returned, {:error, :timeout}}, explain(outcome, "timeout: 3_000")

    # A call that waits out its timeout twice (a second try after the first timed out) cannot
    # return before 6 s, while one that returns when the time is up has 3 s to spare on a
    # busy machine.
    assert elapsed < 2 * 3_000,
           "fetch/3 gave up only after #{elapsed} ms with timeout: 3_000: return " <>
             "{:error, :timeout} when the time is up, not later. The :timeout is all the " <>
             "customer waits, in all: no second try after the first one timed out."
  end

  @tag points: 2
  test "with no :timeout option the call still gives up: the default is finite" do
    started = System.monotonic_time(:millisecond)
    outcome = run_caller(fn -> Tax.fetch(HungProvider, @order) end, 10_000)
    elapsed = System.monotonic_time(:millisecond) - started

    assert outcome == {:returned, {:error, :timeout}}, explain(outcome, "no :timeout option")

    # At most 5 s, plus room for a busy machine: a 7 s default does not fit.
    assert elapsed < 6_500,
           "with no :timeout option fetch/3 gave up after #{elapsed} ms: a customer is " <>
             "waiting, so the default is at most 5 seconds (2 seconds suits)"
  end

  @tag points: 2
  test "the :timeout option is honoured: a short one gives up early, a long one waits for a slow answer" do
    started = System.monotonic_time(:millisecond)
    outcome = run_caller(fn -> Tax.fetch(HungProvider, @order, timeout: 200) end, 10_000)
    elapsed = System.monotonic_time(:millisecond) - started

    assert outcome == {:returned, {:error, :timeout}}, explain(outcome, "timeout: 200")

    assert elapsed < 2_000,
           "fetch/3 with timeout: 200 gave up only after #{elapsed} ms: the caller's :timeout " <>
             "option sets the limit; the default is only for callers who give none"

    # An answer that comes after 800 ms is too late for a caller who allows 200 ms. Both clocks
    # run in this VM, and the caller's deadline passes 600 ms before the answer comes.
    outcome = run_caller(fn -> Tax.fetch(LateProvider, @order, timeout: 200) end, 10_000)

    assert outcome == {:returned, {:error, :timeout}},
           "fetch/3 with timeout: 200 gave #{inspect(outcome)} for a provider that answers " <>
             "only after 800 ms: the caller's :timeout sets the limit, also when it is shorter " <>
             "than you would like (no floor, no minimum): give up after 200 ms"

    # A caller who allows 10 s gets an answer that takes 4 s.
    {pid, _ref} = caller = start_caller(fn -> Tax.fetch(SlowProvider, @order, timeout: 10_000) end)
    assert_receive {:slow, worker}, 5_000

    receive do
      {:outcome, ^pid, value} ->
        flunk(
          "fetch/3 with timeout: 10_000 returned #{inspect(value)} before the provider " <>
            "answered, within 4 s: the caller's :timeout option sets the limit, also when it " <>
            "is longer than the default"
        )
    after
      4_000 -> send(worker, :answer_now)
    end

    assert await_caller(caller, 10_000) == {:returned, {:ok, 1_234}},
           "the provider answered after 4 s, within timeout: 10_000, but fetch/3 did not " <>
             "return its answer"
  end

  @tag points: 4
  test "timed-out calls leave no process behind: the provider's request is stopped" do
    # Warm up: anything started on first use is not a leak.
    assert run_caller(fn -> Tax.fetch(FastProvider, @order, timeout: 5_000) end, 5_000) ==
             {:returned, {:ok, 800}}

    before = :erlang.system_info(:process_count)

    outcomes =
      1..20
      |> Enum.map(fn _ ->
        start_caller(fn -> Tax.fetch(HungProvider, @order, timeout: 100) end)
      end)
      |> Enum.map(&await_caller(&1, 10_000))

    for outcome <- outcomes do
      assert outcome == {:returned, {:error, :timeout}}, explain(outcome, "timeout: 100")
    end

    workers =
      for _ <- 1..20 do
        assert_receive {:called, worker}, 5_000
        worker
      end

    for worker <- workers do
      ref = Process.monitor(worker)

      assert_receive {:DOWN, ^ref, :process, ^worker, _reason},
                     5_000,
                     "the provider request #{inspect(worker)} was still running 5 s after " <>
                       "fetch/3 returned {:error, :timeout}: nobody waits for its answer any " <>
                       "more, yet it holds a connection and memory. Stop it when you give up " <>
                       "(Task.shutdown/2)."
    end

    leaked = settle(before, 2_000)

    assert leaked <= 3,
           "#{leaked} more processes exist after 20 timed-out calls than before them"
  end

  # --- helpers ----------------------------------------------------------------

  # Runs `fun` in a fresh process (like a web request), so a crash or a hang there cannot
  # take the test down. The process ends normally once it has reported.
  defp run_caller(fun, bound), do: fun |> start_caller() |> await_caller(bound)

  defp start_caller(fun) do
    test = self()
    spawn_monitor(fn -> send(test, {:outcome, self(), fun.()}) end)
  end

  defp await_caller({pid, ref}, bound) do
    receive do
      {:outcome, ^pid, value} ->
        receive do
          {:DOWN, ^ref, :process, ^pid, _} -> :ok
        end

        {:returned, value}

      {:DOWN, ^ref, :process, ^pid, reason} ->
        {:exited, reason}
    after
      bound ->
        Process.exit(pid, :kill)

        receive do
          {:DOWN, ^ref, :process, ^pid, _} -> :hung
        end
    end
  end

  defp explain(:hung, options) do
    "fetch/3 (#{options}) was still waiting after 10 s on a provider that never answers: " <>
      "the customer is stuck on the payment page and the request process is stuck with them"
  end

  defp explain({:exited, {:timeout, {Task, :await, _}}}, options) do
    "fetch/3 (#{options}) crashed its caller instead of returning {:error, :timeout}: " <>
      "Task.await/2 exits the process that calls it when the time is up"
  end

  defp explain({:exited, reason}, options) do
    "fetch/3 (#{options}) crashed its caller instead of returning {:error, :timeout}: " <>
      String.slice(Exception.format_exit(reason), 0, 300)
  end

  defp explain({:returned, value}, options) do
    "fetch/3 (#{options}) returned #{inspect(value)} for a provider that never answers"
  end

  # Processes finish exiting shortly after their :DOWN: give the count a moment to settle.
  defp settle(before, timeout) do
    deadline = System.monotonic_time(:millisecond) + timeout
    settle(before, deadline, :erlang.system_info(:process_count) - before)
  end

  defp settle(before, deadline, leaked) do
    if leaked <= 3 or System.monotonic_time(:millisecond) > deadline do
      leaked
    else
      Process.sleep(20)
      settle(before, deadline, :erlang.system_info(:process_count) - before)
    end
  end
end
