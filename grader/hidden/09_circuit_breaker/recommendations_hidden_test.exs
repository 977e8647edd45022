defmodule Storefront.RecommendationsHiddenTest do
  use ExUnit.Case

  alias Storefront.{ManualClock, Recommendations}

  @threshold 3
  @cooldown 10_000
  @products ["sku_311", "sku_8"]

  # A fake recommendations service that counts its calls. It is :up, :down (answers
  # {:error, :timeout}), :raising (the client crashes) or :hanging (tells the test it was
  # called, then waits to be released).
  defp fake_service do
    calls = :counters.new(1, [])
    mode = :atomics.new(1, [])
    test = self()

    fetch = fn _user_id ->
      :counters.add(calls, 1, 1)

      case :atomics.get(mode, 1) do
        0 ->
          {:ok, @products}

        1 ->
          {:error, :timeout}

        2 ->
          raise "recommendations client crashed: unexpected JSON"

        4 ->
          # A call inside the client timed out: the client exits.
          exit({:timeout, {GenServer, :call, [:recs_http_pool, :checkout, 2_000]}})

        3 ->
          send(test, {:fetching, self()})

          receive do
            {:release, answer} -> answer
          after
            10_000 -> {:error, :timeout}
          end
      end
    end

    %{fetch: fetch, calls: calls, mode: mode}
  end

  defp set(service, mode),
    do: :atomics.put(service.mode, 1, %{up: 0, down: 1, raising: 2, hanging: 3, exiting: 4}[mode])

  defp calls(service), do: :counters.get(service.calls, 1)

  defp start_breaker(service, opts \\ []) do
    clock = ManualClock.new(Keyword.get(opts, :start_ms, 1_000_000))

    defaults = [
      fetch: service.fetch,
      failure_threshold: @threshold,
      cooldown_ms: @cooldown,
      clock: ManualClock.reader(clock)
    ]

    breaker = start_supervised!({Recommendations, Keyword.merge(defaults, opts[:breaker] || [])})
    {breaker, clock}
  end

  defp for_user(breaker), do: Recommendations.for_user(breaker, "u1")

  # Three failures in a row: from now on the circuit must be open.
  defp trip(breaker, service, threshold \\ @threshold) do
    set(service, :down)
    for _ <- 1..threshold, do: for_user(breaker)
    result = for_user(breaker)

    assert result == {:error, :circuit_open},
           "after #{threshold} failures in a row the circuit must open and answer " <>
             "{:error, :circuit_open}, but the next call returned #{inspect(result)} and " <>
             "the service has been called #{calls(service)} times"

    calls(service)
  end

  # Waits until the breaker has handled every report sent to it so far (a report may be a cast),
  # so that the clock moves only after the code under test has seen what came before.
  defp settle(breaker), do: :sys.get_state(breaker)

  defp call_async(breaker, user_id) do
    test = self()
    ref = make_ref()
    spawn(fn -> send(test, {ref, Recommendations.for_user(breaker, user_id)}) end)
    ref
  end

  @tag points: 1
  test "failures separated by successes never open the circuit (only failures in a row count)" do
    service = fake_service()
    {breaker, _clock} = start_breaker(service)

    for mode <- [:down, :down, :up, :down, :down, :up, :down, :down, :up, :down, :down] do
      set(service, mode)
      result = for_user(breaker)

      refute result == {:error, :circuit_open},
             "the circuit opened although the service never failed #{@threshold} times in " <>
               "a row: a success in between resets the count"
    end

    assert calls(service) == 11
  end

  @tag points: 1
  test "after a successful probe it takes 3 new failures in a row to open the circuit again" do
    service = fake_service()
    {breaker, clock} = start_breaker(service)
    tripped = trip(breaker, service)
    set(service, :up)
    ManualClock.advance(clock, @cooldown + 1)
    assert for_user(breaker) == {:ok, @products}

    set(service, :down)

    for n <- 1..@threshold do
      assert for_user(breaker) == {:error, :timeout},
             "the circuit closed after a successful probe, so the count of failures starts " <>
               "again from 0; failure #{n} of #{@threshold} should still reach the service"
    end

    assert for_user(breaker) == {:error, :circuit_open}
    assert calls(service) == tripped + 1 + @threshold
  end

  @tag points: 1
  test "a failed probe starts a new, full cooldown" do
    service = fake_service()
    {breaker, clock} = start_breaker(service)
    tripped = trip(breaker, service)

    ManualClock.advance(clock, @cooldown + 1)
    assert for_user(breaker) == {:error, :timeout}
    settle(breaker)

    ManualClock.advance(clock, @cooldown - 1)

    assert for_user(breaker) == {:error, :circuit_open},
           "the probe failed #{@cooldown - 1} ms ago: the new cooldown of #{@cooldown} ms " <>
             "counts from the failed probe, not from when the circuit first opened"

    assert calls(service) == tripped + 1

    ManualClock.advance(clock, 2)
    set(service, :up)
    assert for_user(breaker) == {:ok, @products}, "the new cooldown has passed: probe again"
  end

  @tag points: 1
  test "with the circuit closed, concurrent requests reach the service side by side" do
    service = fake_service()
    {breaker, _clock} = start_breaker(service)
    set(service, :hanging)

    refs = for n <- 1..4, do: call_async(breaker, "u#{n}")

    fetching =
      for _ <- refs do
        assert_receive {:fetching, pid},
                       5_000,
                       "4 requests were made at once, but they reach the service one at a " <>
                         "time: call the service from the caller's process, not inside the " <>
                         "breaker's process, or one slow request holds up every page"

        pid
      end

    Enum.each(fetching, &send(&1, {:release, {:ok, @products}}))

    for ref <- refs do
      assert_receive {^ref, {:ok, @products}}, 5_000
    end
  end

  @tag points: 1
  test "an exception in the service client counts as a failure and still reaches the caller" do
    service = fake_service()
    {breaker, _clock} = start_breaker(service)
    set(service, :raising)

    stacktrace =
      try do
        for_user(breaker)
      rescue
        RuntimeError -> __STACKTRACE__
      else
        other -> flunk("the service client raised, but the caller got #{inspect(other)}")
      end

    [{module, function, _arity, _location} = top | _] = stacktrace

    assert module == __MODULE__ and String.contains?(Atom.to_string(function), "fake_service"),
           "the exception reached the caller, but with a new stacktrace: its top is now " <>
             "#{Exception.format_stacktrace_entry(top)}, not the service client that raised. " <>
             "Raise it again exactly as it was, with :erlang.raise(kind, reason, __STACKTRACE__)"

    for _ <- 2..@threshold do
      assert_raise RuntimeError, fn -> for_user(breaker) end
    end

    assert for_user(breaker) == {:error, :circuit_open},
           "the service client crashed #{@threshold} times in a row: that is failing too, " <>
             "so the circuit opens"

    assert calls(service) == @threshold
  end

  @tag points: 1
  test "a probe that raises opens the circuit again instead of leaving it stuck" do
    service = fake_service()
    {breaker, clock} = start_breaker(service)
    tripped = trip(breaker, service)
    set(service, :raising)
    ManualClock.advance(clock, @cooldown + 1)

    assert_raise RuntimeError, fn -> for_user(breaker) end
    settle(breaker)
    assert for_user(breaker) == {:error, :circuit_open}
    assert calls(service) == tripped + 1

    set(service, :up)
    ManualClock.advance(clock, @cooldown + 1)

    assert for_user(breaker) == {:ok, @products},
           "the probe crashed, then a full cooldown passed: the next request must probe " <>
             "again, but the circuit is stuck (the crashed probe never reported back)"
  end

  @tag points: 1
  test "a probe whose caller is killed mid-request opens the circuit again for a new cooldown, instead of leaving it stuck" do
    service = fake_service()
    {breaker, clock} = start_breaker(service)
    tripped = trip(breaker, service)
    set(service, :hanging)
    ManualClock.advance(clock, @cooldown + 1)

    caller = spawn(fn -> for_user(breaker) end)
    assert_receive {:fetching, _probe}, 5_000
    watch = Process.monitor(caller)
    Process.exit(caller, :kill)
    assert_receive {:DOWN, ^watch, :process, _, :killed}, 5_000
    settle(breaker)
    set(service, :up)

    # The clock has not moved since the probe was let through: a caller that dies is a failed
    # probe, so the circuit opens again for a full cooldown counted from now.
    for wait <- [0, @cooldown - 1] do
      ManualClock.advance(clock, wait)
      result = for_user(breaker)

      assert result == {:error, :circuit_open},
             "the probe's caller was killed #{wait} ms ago: that is a failed probe, so the " <>
               "circuit opens again for a new, full cooldown (#{@cooldown} ms) from that moment, " <>
               "but a request got #{inspect(result)}"
    end

    assert calls(service) == tripped + 1

    # Whatever the breaker does about it, a later probe must get through.
    result =
      Enum.reduce_while(1..150, nil, fn _, _ ->
        ManualClock.advance(clock, @cooldown + 1)

        case for_user(breaker) do
          {:ok, _} = ok ->
            {:halt, ok}

          other ->
            Process.sleep(20)
            {:cont, other}
        end
      end)

    assert result == {:ok, @products},
           "the probe's caller was killed (a request process timing out, a client hanging " <>
             "up) before it could report; several cooldowns later the circuit still answers " <>
             "#{inspect(result)}: watch the probe (Process.monitor/1) so it cannot wedge half-open"
  end

  @tag points: 1
  test "by default the circuit opens after 5 failures in a row, for 30 seconds" do
    service = fake_service()
    clock = ManualClock.new(1_000_000)

    breaker =
      start_supervised!({Recommendations, fetch: service.fetch, clock: ManualClock.reader(clock)})

    tripped = trip(breaker, service, 5)
    assert tripped == 5

    ManualClock.advance(clock, 29_000)
    assert for_user(breaker) == {:error, :circuit_open}, "the default cooldown is 30 seconds"

    ManualClock.advance(clock, 1_001)
    set(service, :up)
    assert for_user(breaker) == {:ok, @products}, "the default cooldown is 30 seconds"

    # Without a :clock, the time is System.monotonic_time(:millisecond): 10 ms after the circuit
    # opened, the 30 s cooldown is still far from over.
    service = fake_service()
    breaker = start_supervised!({Recommendations, fetch: service.fetch}, id: :default_clock)
    set(service, :down)

    for n <- 1..5 do
      assert for_user(breaker) == {:error, :timeout},
             "with the default clock (System.monotonic_time(:millisecond), usually negative) " <>
               "the circuit starts closed: failure #{n} of 5 should reach the service"
    end

    Process.sleep(10)
    set(service, :up)
    result = for_user(breaker)

    assert result == {:error, :circuit_open},
           "with the default clock, 5 failures in a row open the circuit for 30 s, but 10 ms " <>
             "later a request got #{inspect(result)}: the default clock is " <>
             "fn -> System.monotonic_time(:millisecond) end (System.monotonic_time() without a " <>
             "unit counts native units, not milliseconds)"

    assert calls(service) == 5
  end

  @tag points: 1
  test "the breaker works with a negative clock (the BEAM's monotonic time usually is)" do
    service = fake_service()
    {breaker, clock} = start_breaker(service, start_ms: -576_460_751_234)
    tripped = trip(breaker, service)

    ManualClock.advance(clock, @cooldown - 1)
    assert for_user(breaker) == {:error, :circuit_open}

    # The cooldown is over: one probe, which fails, and the circuit opens again.
    ManualClock.advance(clock, 2)
    assert for_user(breaker) == {:error, :timeout}
    settle(breaker)

    assert for_user(breaker) == {:error, :circuit_open},
           "with a negative clock the failed probe must open the circuit again, like any other"

    assert calls(service) == tripped + 1

    ManualClock.advance(clock, @cooldown + 1)
    set(service, :up)
    assert for_user(breaker) == {:ok, @products}
    assert for_user(breaker) == {:ok, @products}
    assert calls(service) == tripped + 3
  end

  @tag points: 1
  test "late answers from requests let through before the circuit opened change nothing: only the probe decides" do
    service = fake_service()
    {breaker, clock} = start_breaker(service)

    # Three slow requests are let through while the circuit is closed...
    set(service, :hanging)

    [late_failure, late_success, during_probe] =
      for user <- ["slow1", "slow2", "slow3"] do
        ref = call_async(breaker, user)
        assert_receive {:fetching, fetch}, 5_000
        {ref, fetch}
      end

    # ...the circuit opens behind them...
    tripped = trip(breaker, service)

    # ...and halfway through the cooldown two of them answer late: a failure, then a success.
    ManualClock.advance(clock, div(@cooldown, 2))
    answer_late(late_failure, {:error, :timeout})
    answer_late(late_success, {:ok, @products})
    settle(breaker)
    set(service, :up)
    result = for_user(breaker)

    assert result == {:error, :circuit_open},
           "a request let through before the circuit opened answered late, with a success; " <>
             "that says nothing about the service now. The circuit must stay open until the " <>
             "cooldown has passed and a probe succeeds, but the next request got #{inspect(result)}"

    assert calls(service) == tripped

    # The cooldown, counted from when the circuit opened, has passed: the next request probes.
    ManualClock.advance(clock, @cooldown - div(@cooldown, 2) + 1)
    set(service, :hanging)
    probe = call_async(breaker, "probe")

    probe_fetch =
      receive do
        {:fetching, fetch} ->
          fetch

        {^probe, result} ->
          flunk(
            "the cooldown has passed since the circuit opened, so this request is the probe, " <>
              "but it got #{inspect(result)}: a late failure from a request let through " <>
              "before the circuit opened must not restart the cooldown; only the probe decides"
          )
      after
        5_000 -> flunk("the probe never reached the service")
      end

    # While the probe is in flight, the third slow request answers late, with a success.
    answer_late(during_probe, {:ok, @products})
    settle(breaker)
    set(service, :up)
    result = for_user(breaker)

    assert result == {:error, :circuit_open},
           "while the probe was in flight, a request let through before the circuit opened " <>
             "answered late, with a success: only the probe decides, so the circuit stays " <>
             "half-open and turns requests away, but one got #{inspect(result)}"

    assert calls(service) == tripped + 1

    send(probe_fetch, {:release, {:ok, @products}})
    assert_receive {^probe, {:ok, @products}}, 5_000
    assert for_user(breaker) == {:ok, @products}, "the probe succeeded: the circuit is closed"
  end

  # Lets a slow request's service call answer, and waits for the caller to get that answer.
  defp answer_late({ref, fetch}, answer) do
    send(fetch, {:release, answer})
    assert_receive {^ref, ^answer}, 5_000
  end

  @tag points: 1
  test "an exit in the service client (a call timing out inside it) counts as a failure and still reaches the caller" do
    service = fake_service()
    {breaker, _clock} = start_breaker(service)
    set(service, :exiting)

    for _ <- 1..@threshold do
      assert {:timeout, {GenServer, :call, _}} = catch_exit(for_user(breaker))
    end

    assert for_user(breaker) == {:error, :circuit_open},
           "the service client exited #{@threshold} times in a row (a call inside it timed " <>
             "out): that is failing too, so the circuit opens"

    assert calls(service) == @threshold
  end
end
