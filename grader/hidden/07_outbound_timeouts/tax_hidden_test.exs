defmodule Checkout.TaxHiddenTest do
  use ExUnit.Case

  alias Checkout.Tax

  @order %{id: "ord_9", total_cents: 25_000}
  @observer :checkout_tax_hidden_test

  defmodule RefusingProvider do
    @behaviour Checkout.TaxProvider
    def tax(_order), do: {:error, :address_not_found}
  end

  defmodule QuickProvider do
    @behaviour Checkout.TaxProvider
    def tax(%{total_cents: total}), do: {:ok, div(total, 10)}
  end

  defmodule StalledProvider do
    # Tells the test which process runs the request, then answers only when told to.
    @behaviour Checkout.TaxProvider
    def tax(_order) do
      if observer = Process.whereis(:checkout_tax_hidden_test),
        do: send(observer, {:called, self()})

      receive do
        :answer_now -> {:ok, 1}
      end
    end
  end

  defmodule CrashingProvider do
    # A bug in the client: it raises.
    @behaviour Checkout.TaxProvider
    def tax(_order) do
      if observer = Process.whereis(:checkout_tax_hidden_test),
        do: send(observer, {:called, self()})

      raise ArgumentError, "cannot encode the address"
    end
  end

  defmodule TrappingProvider do
    # A client that traps exits (some connection libraries do), then never answers. It tells
    # the test of every exit signal it is sent: a killed process is sent none it could see.
    @behaviour Checkout.TaxProvider
    def tax(_order) do
      Process.flag(:trap_exit, true)
      observer = Process.whereis(:checkout_tax_hidden_test)
      if observer, do: send(observer, {:called, self()})
      trap_exits(observer)
    end

    defp trap_exits(observer) do
      receive do
        {:EXIT, from, reason} ->
          if observer, do: send(observer, {:asked_to_stop, self(), from, reason})
          trap_exits(observer)
      end
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
  test "a provider's refusal is passed through as {:error, reason}" do
    assert run_caller(fn -> Tax.fetch(RefusingProvider, @order, timeout: 5_000) end) ==
             {:returned, {:error, :address_not_found}}
  end

  @tag points: 1
  test "a fast answer is returned at once, not held back until the timeout" do
    started = System.monotonic_time(:millisecond)
    outcome = run_caller(fn -> Tax.fetch(QuickProvider, @order, timeout: 8_000) end)
    elapsed = System.monotonic_time(:millisecond) - started

    assert elapsed < 4_000,
           "a provider that answers at once took #{elapsed} ms with timeout: 8_000: " <>
             "the timeout is a limit, not a delay"

    assert outcome == {:returned, {:ok, 2_500}}
  end

  @tag points: 1
  test "20 concurrent timed-out calls give up together, not one after another" do
    started = System.monotonic_time(:millisecond)

    outcomes =
      1..20
      |> Enum.map(fn _ ->
        start_caller(fn -> Tax.fetch(StalledProvider, @order, timeout: 300) end)
      end)
      |> Enum.map(&await_caller(&1, 15_000))

    elapsed = System.monotonic_time(:millisecond) - started

    assert Enum.uniq(outcomes) == [{:returned, {:error, :timeout}}],
           "expected {:error, :timeout} from every call, got #{inspect(Enum.uniq(outcomes), limit: 5)}"

    assert elapsed < 4_000,
           "20 concurrent calls with timeout: 300 took #{elapsed} ms: each caller must wait " <>
             "for its own call only, not queue behind the others"
  end

  @tag points: 2
  test "a timed-out call leaves no late reply or :DOWN message in the caller's mailbox" do
    {pid, ref} =
      caller = start_caller(fn -> Tax.fetch(StalledProvider, @order, timeout: 100) end, :keep)

    receive do
      {:outcome, ^pid, result} ->
        assert result == {:error, :timeout}

      {:DOWN, ^ref, :process, ^pid, reason} ->
        flunk(
          "fetch/3 crashed its caller instead of returning {:error, :timeout}: #{inspect(reason, limit: 4)}"
        )
    after
      10_000 -> flunk("fetch/3 was still waiting after 10 s with timeout: 100")
    end

    # If the request is still running, let it answer now, then look at the caller's mailbox.
    assert_receive {:called, worker}, 5_000
    worker_ref = Process.monitor(worker)
    send(worker, :answer_now)

    receive do
      {:DOWN, ^worker_ref, :process, ^worker, _} -> :ok
    after
      2_000 -> :ok
    end

    leftovers = mailbox(caller)

    assert leftovers == [],
           "after fetch/3 returned {:error, :timeout}, these messages arrived in the caller's " <>
             "mailbox and will sit there for ever: #{inspect(leftovers, limit: 5)}. Stop the " <>
             "request and flush what it may have sent (Task.shutdown/2 does both)."
  end

  @tag points: 1
  test "no message is left in the caller's mailbox after an answer or a refusal" do
    {pid, ref} =
      caller =
      start_caller(
        fn ->
          {Tax.fetch(QuickProvider, @order, timeout: 1_000),
           Tax.fetch(RefusingProvider, @order, timeout: 1_000)}
        end,
        :keep
      )

    receive do
      {:outcome, ^pid, results} ->
        assert results == {{:ok, 2_500}, {:error, :address_not_found}}

      {:DOWN, ^ref, :process, ^pid, reason} ->
        flunk("fetch/3 crashed its caller on an answer: #{inspect(reason, limit: 4)}")
    after
      10_000 -> flunk("fetch/3 was still waiting after 10 s for a provider that answers at once")
    end

    # Anything the calls set up (a monitor, a timer of at most the 1 s timeout) has delivered its message by now.
    Process.sleep(1_500)
    leftovers = mailbox(caller)

    assert leftovers == [],
           "fetch/3 returned, then these messages arrived in the caller's mailbox, where " <>
             "nobody will ever read them: #{inspect(leftovers, limit: 5)}. A call that is " <>
             "over leaves nothing behind: no :DOWN message, no timer."
  end

  @tag points: 1
  test "a provider request that traps exits is stopped at the deadline too: the caller does not wait for it" do
    started = System.monotonic_time(:millisecond)
    outcome = run_caller(fn -> Tax.fetch(TrappingProvider, @order, timeout: 200) end)
    elapsed = System.monotonic_time(:millisecond) - started

    assert outcome == {:returned, {:error, :timeout}},
           "fetch/3 with timeout: 200 on a provider that never answers gave #{inspect(outcome)}"

    assert elapsed < 2_500,
           "with timeout: 200, fetch/3 returned only after #{elapsed} ms: its provider request " <>
             "traps exits, and a graceful stop (Task.shutdown/1, a supervisor's terminate_child) " <>
             "waits up to 5 s for it to agree while the customer waits too. Kill it: " <>
             "Task.shutdown(task, :brutal_kill)"

    assert_receive {:called, worker}, 5_000
    ref = Process.monitor(worker)
    assert_receive {:DOWN, ^ref, :process, ^worker, _reason}, 5_000

    # The request reports an exit signal before it ends, and both messages come from it, so
    # the report (if any) is in the mailbox by the time its :DOWN is.
    receive do
      {:asked_to_stop, ^worker, from, reason} ->
        flunk(
          "fetch/3 asked its provider request to stop (exit signal #{inspect(reason)} from " <>
            "#{inspect(from)}) instead of killing it: a request that traps exits gets that " <>
            "signal as a mere message and keeps running, and the customer waits for the " <>
            "grace period to pass. Kill it: Task.shutdown(task, :brutal_kill)"
        )
    after
      0 -> :ok
    end
  end

  @tag points: 1
  test "a timeout stops only its own request: another customer's call still gets its answer" do
    # Customers B and C allow 10 s, customer A only 1 s. B's request starts before A's and C's
    # after it, so A's is neither the oldest nor the newest request in flight when A gives up.
    # (C's request starts well within A's 1 s; were it later, stopping the newest request would
    # go unseen here, but a correct fix passes either way.)
    {b_pid, _} = b = start_caller(fn -> Tax.fetch(StalledProvider, @order, timeout: 10_000) end)
    assert_receive {:called, b_worker}, 5_000
    a = start_caller(fn -> Tax.fetch(StalledProvider, @order, timeout: 1_000) end)
    assert_receive {:called, _a_worker}, 5_000
    {c_pid, _} = c = start_caller(fn -> Tax.fetch(StalledProvider, @order, timeout: 10_000) end)
    assert_receive {:called, c_worker}, 5_000

    assert await_caller(a, 10_000) == {:returned, {:error, :timeout}}

    for {customer, worker, started} <- [{"B", b_worker, "before"}, {"C", c_worker, "after"}] do
      assert Process.alive?(worker),
             "customer A's call timed out, and fetch/3 stopped customer #{customer}'s request " <>
               "too (started just #{started} A's), which was well within its own timeout: " <>
               "stop the request of the call that gives up (its own task), nobody else's"
    end

    refute_received {:outcome, ^b_pid, _}
    refute_received {:outcome, ^c_pid, _}
    send(b_worker, :answer_now)
    send(c_worker, :answer_now)

    for {customer, caller} <- [{"B", b}, {"C", c}] do
      assert await_caller(caller, 10_000) == {:returned, {:ok, 1}},
             "customer #{customer}'s request answered within its timeout, but " <>
               "#{customer} did not get the answer"
    end
  end

  @tag points: 2
  test "a crash in the provider client crashes the caller with the client's error, not a timeout or a refusal" do
    outcome = run_caller(fn -> Tax.fetch(CrashingProvider, @order, timeout: 5_000) end)

    assert_receive {:called, worker}, 5_000
    ref = Process.monitor(worker)
    assert_receive {:DOWN, ^ref, :process, ^worker, _}, 5_000

    case outcome do
      :hung ->
        flunk("fetch/3 hung when the provider client raised")

      {:returned, {:error, :timeout}} ->
        flunk(
          "a bug in the provider client (ArgumentError) was reported as a timeout: it " <>
            "answered at once, by crashing. A bug is not a timeout: let it crash."
        )

      {:returned, value} ->
        flunk(
          "a bug in the provider client (ArgumentError) came back as #{inspect(value, limit: 6)}: " <>
            "checkout would quietly fall back to its tax table and nobody would see the bug. " <>
            "Let it crash: the caller exits with the client's error."
        )

      {:exited, reason} ->
        assert inspect(reason, limit: :infinity, printable_limit: :infinity) =~
                 "cannot encode the address",
               "the caller crashed, but with #{inspect(reason, limit: 6)}, which hides the " <>
                 "client's error (ArgumentError: cannot encode the address): crash with the " <>
                 "reason the provider request died with"
    end
  end

  # --- helpers ----------------------------------------------------------------

  defp run_caller(fun), do: fun |> start_caller() |> await_caller(15_000)

  # A fresh process stands for the web request. It reports fetch/3's result, and with :keep
  # stays alive until asked for the messages left in its mailbox.
  defp start_caller(fun, mode \\ :report) do
    test = self()

    spawn_monitor(fn ->
      send(test, {:outcome, self(), fun.()})

      if mode == :keep do
        receive do
          {:mailbox?, ^test} ->
            {:messages, messages} = Process.info(self(), :messages)
            send(test, {:mailbox, self(), messages})
        end
      end
    end)
  end

  # The messages left in a :keep caller's mailbox; the caller ends once it has told us.
  defp mailbox({pid, _ref} = caller) do
    send(pid, {:mailbox?, self()})
    assert_receive {:mailbox, ^pid, leftovers}, 5_000
    await_caller(caller, 5_000)
    leftovers
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
end
