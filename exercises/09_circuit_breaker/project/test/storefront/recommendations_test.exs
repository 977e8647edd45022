defmodule Storefront.RecommendationsTest do
  use ExUnit.Case

  alias Storefront.{ManualClock, Recommendations}

  @threshold 3
  @cooldown 10_000
  @products ["sku_1042", "sku_77"]

  # A fake recommendations service that counts its calls. It is :up, :down (answers
  # {:error, :timeout}) or :hanging (tells the test it was called, then waits to be released).
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

  defp set(service, mode), do: :atomics.put(service.mode, 1, %{up: 0, down: 1, hanging: 2}[mode])
  defp calls(service), do: :counters.get(service.calls, 1)

  defp start_breaker(service) do
    clock = ManualClock.new(1_000_000)

    breaker =
      start_supervised!(
        {Recommendations,
         fetch: service.fetch,
         failure_threshold: @threshold,
         cooldown_ms: @cooldown,
         clock: ManualClock.reader(clock)}
      )

    {breaker, clock}
  end

  # Three failures in a row (or the last `count` of them): from now on the circuit must be open.
  defp trip(breaker, service, count \\ @threshold) do
    set(service, :down)
    for _ <- 1..count, do: Recommendations.for_user(breaker, "u1")
    result = Recommendations.for_user(breaker, "u1")

    assert result == {:error, :circuit_open},
           "after #{@threshold} failures in a row (failure_threshold: #{@threshold}) the circuit " <>
             "must open and answer {:error, :circuit_open}, but the next call returned " <>
             "#{inspect(result)} and the service has been called #{calls(service)} times"

    calls(service)
  end

  # Calls for_user/2 from a new process; the result comes back as a message.
  defp call_async(breaker, user_id) do
    test = self()
    ref = make_ref()
    spawn(fn -> send(test, {ref, Recommendations.for_user(breaker, user_id)}) end)
    ref
  end

  defp result_of(ref, why) do
    receive do
      {^ref, result} -> result
    after
      5_000 -> flunk(why)
    end
  end

  @tag points: 1
  test "a healthy service's answers go straight through" do
    service = fake_service()
    {breaker, _clock} = start_breaker(service)

    assert Recommendations.for_user(breaker, "u1") == {:ok, @products}
    set(service, :down)
    assert Recommendations.for_user(breaker, "u1") == {:error, :timeout}
    assert calls(service) == 2
  end

  @tag points: 4
  test "after 3 failures in a row the service is no longer called: {:error, :circuit_open}" do
    service = fake_service()
    {breaker, _clock} = start_breaker(service)
    set(service, :down)

    for _ <- 1..@threshold do
      assert Recommendations.for_user(breaker, "u1") == {:error, :timeout}
    end

    results = for _ <- 1..20, do: Recommendations.for_user(breaker, "u1")

    assert calls(service) == @threshold,
           "the service failed #{@threshold} times in a row: stop calling it for a while, " <>
             "but 20 more requests made #{calls(service)} calls in all, piling onto an " <>
             "outage instead of failing fast"

    assert Enum.uniq(results) == [{:error, :circuit_open}],
           "while the circuit is open every request is answered {:error, :circuit_open}, " <>
             "got #{inspect(Enum.uniq(results))}"
  end

  @tag points: 2
  test "the circuit stays open until the cooldown has passed since it opened, then lets a probe through" do
    service = fake_service()
    {breaker, clock} = start_breaker(service)

    # The first failure comes 4 s before the other two: the circuit opens at the third one.
    set(service, :down)
    Recommendations.for_user(breaker, "u1")
    ManualClock.advance(clock, 4_000)
    tripped = trip(breaker, service, @threshold - 1)
    set(service, :up)

    ManualClock.advance(clock, @cooldown - 1)

    for _ <- 1..5 do
      assert Recommendations.for_user(breaker, "u1") == {:error, :circuit_open},
             "the circuit opened #{@cooldown - 1} ms ago, at the third failure in a " <>
               "row: the cooldown (#{@cooldown} ms) has not passed yet, so the circuit stays " <>
               "open. The cooldown counts from when the circuit opened, not from the first failure"
    end

    assert calls(service) == tripped

    ManualClock.advance(clock, 2)
    Recommendations.for_user(breaker, "u1")

    assert calls(service) == tripped + 1,
           "once the cooldown has passed, one request goes to the service as a probe; " <>
             "it was called #{calls(service) - tripped} times after the cooldown"
  end

  @tag points: 2
  test "a successful probe closes the circuit" do
    service = fake_service()
    {breaker, clock} = start_breaker(service)
    tripped = trip(breaker, service)
    set(service, :up)
    ManualClock.advance(clock, @cooldown + 1)

    assert Recommendations.for_user(breaker, "u1") == {:ok, @products},
           "the probe reaches the healthy service and its answer goes to the caller"

    for _ <- 1..5 do
      assert Recommendations.for_user(breaker, "u1") == {:ok, @products},
             "the probe succeeded: the service is back, so the circuit closes"
    end

    assert calls(service) == tripped + 6
  end

  @tag points: 2
  test "a failed probe opens the circuit again at once" do
    service = fake_service()
    {breaker, clock} = start_breaker(service)
    tripped = trip(breaker, service)
    ManualClock.advance(clock, @cooldown + 1)

    assert Recommendations.for_user(breaker, "u1") == {:error, :timeout},
           "the probe reaches the service (still down) and its error goes to the caller"

    for _ <- 1..5 do
      assert Recommendations.for_user(breaker, "u1") == {:error, :circuit_open},
             "the probe failed: the service is still down, so the circuit opens again " <>
               "straight away, without waiting for #{@threshold} more failures"
    end

    assert calls(service) == tripped + 1
  end

  @tag points: 3
  test "while the probe is in flight, concurrent callers get {:error, :circuit_open}: one probe only" do
    service = fake_service()
    {breaker, clock} = start_breaker(service)
    tripped = trip(breaker, service)
    set(service, :hanging)
    ManualClock.advance(clock, @cooldown + 1)

    # Ten callers arrive together once the cooldown has passed: the breaker is held still until
    # all of them are waiting on it, so each one asks while the circuit still looks open.
    arrivals = arrive_together(breaker, 10)
    {fetches, answered} = settle(arrivals)

    assert length(fetches) <= 1,
           "half-open means ONE probe: #{length(fetches)} of 10 callers that arrived together " <>
             "after the cooldown reached the service. Decide who is the probe in the breaker " <>
             "process, in the same callback that moves the state to :half_open"

    assert length(answered) == 9 and length(fetches) == 1,
           "of 10 callers that arrived together after the cooldown, one must become the probe " <>
             "and the other 9 get {:error, :circuit_open} at once, without waiting for the " <>
             "probe; after 5 s #{length(fetches)} had reached the service and #{length(answered)} " <>
             "had an answer"

    assert Enum.uniq(Enum.map(answered, &elem(&1, 1))) == [{:error, :circuit_open}]

    # Callers arriving while the probe is still in flight are turned away too.
    late = for n <- 1..5, do: call_async(breaker, "late#{n}")

    for ref <- late do
      assert result_of(
               ref,
               "a caller waited more than 5 s while the probe was in flight: answer " <>
                 "{:error, :circuit_open} at once, don't queue callers behind the probe"
             ) == {:error, :circuit_open}
    end

    assert calls(service) == tripped + 1,
           "half-open means ONE probe: #{calls(service) - tripped} requests reached the " <>
             "service while it was being probed"

    [probe_fetch] = fetches
    [probe] = arrivals -- Enum.map(answered, &elem(&1, 0))
    send(probe_fetch, {:release, {:ok, @products}})
    assert result_of(probe, "the probe never returned its answer") == {:ok, @products}

    set(service, :up)

    assert Recommendations.for_user(breaker, "u1") == {:ok, @products},
           "the probe succeeded: the circuit is closed again"
  end

  # Starts `count` callers while the breaker process is suspended and resumes it once all of
  # them are waiting in its mailbox (or after 1 s, for a breaker whose callers never queue on
  # the process start_link/1 returned). Returns their refs.
  defp arrive_together(breaker, count) do
    :sys.suspend(breaker)
    refs = for n <- 1..count, do: call_async(breaker, "u#{n}")
    await_queue(breaker, count, System.monotonic_time(:millisecond) + 1_000)
    :sys.resume(breaker)
    refs
  end

  defp await_queue(breaker, count, deadline) do
    {:message_queue_len, queued} = Process.info(breaker, :message_queue_len)

    if queued < count and System.monotonic_time(:millisecond) < deadline do
      Process.sleep(5)
      await_queue(breaker, count, deadline)
    end
  end

  # Waits until each caller has either reached the (hanging) service or got its answer, for at
  # most 5 s. Returns {the pids fetching from the service, [{ref, answer}]}.
  defp settle(refs), do: settle(refs, [], [], System.monotonic_time(:millisecond) + 5_000)

  defp settle(refs, fetches, answered, deadline) do
    if length(fetches) + length(answered) >= length(refs) do
      {fetches, answered}
    else
      wait = max(deadline - System.monotonic_time(:millisecond), 0)

      receive do
        {:fetching, fetch} -> settle(refs, [fetch | fetches], answered, deadline)
        {ref, answer} when is_reference(ref) ->
          answered = if ref in refs, do: [{ref, answer} | answered], else: answered
          settle(refs, fetches, answered, deadline)
      after
        wait -> {fetches, answered}
      end
    end
  end
end
