defmodule Shipping.LabelClientHiddenTest do
  use ExUnit.Case

  alias Shipping.LabelClient

  @label %{tracking_number: "1Z999AA10123456784"}

  defmodule ScriptedCarrier do
    @moduledoc false
    # A fake carrier. Each shipment answers from its own script, one answer per attempt
    # (the last answer repeats for ever), and every attempt is counted. `{:raise, module}`
    # stands for a bug in the client.
    @behaviour Shipping.Carrier

    @runaway 10

    def child_spec(_arg) do
      %{id: __MODULE__, start: {Agent, :start_link, [fn -> %{} end, [name: __MODULE__]]}}
    end

    def script(id, answers), do: Agent.update(__MODULE__, &Map.put(&1, id, {answers, 0}))

    def attempts(id), do: Agent.get(__MODULE__, fn scripts -> elem(scripts[id], 1) end)

    @impl true
    def create_label(%{id: id}) do
      {answer, n} =
        Agent.get_and_update(__MODULE__, fn scripts ->
          {answers, done} = Map.fetch!(scripts, id)
          n = done + 1
          {{Enum.at(answers, n - 1, List.last(answers)), n}, Map.put(scripts, id, {answers, n})}
        end)

      if n > @runaway do
        raise "runaway retry loop: the carrier was asked #{n - 1} times for the label of #{id} " <>
                "and the client is still asking. Retries need a limit (3 attempts in all), " <>
                "and a permanent refusal is not worth a retry at all."
      end

      case answer do
        {:raise, exception} -> raise exception, "unexpected field \"lbl\" in the carrier's answer"
        answer -> answer
      end
    end
  end

  setup do
    start_supervised!(ScriptedCarrier)
    :ok
  end

  defp shipment, do: %{id: "shp_#{System.unique_integer([:positive])}", weight_g: 800}

  # Buys a label for a fresh shipment from a carrier that answers `answers`, one per attempt.
  # The sleep function only records the wait it was asked for: nothing really sleeps.
  defp run(answers) do
    shipment = shipment()
    ScriptedCarrier.script(shipment.id, answers)
    test = self()
    sleep = fn ms -> send(test, {:slept, shipment.id, ms}) && :ok end

    result = LabelClient.create_label(ScriptedCarrier, shipment, sleep: sleep)

    %{
      result: result,
      attempts: ScriptedCarrier.attempts(shipment.id),
      delays: delays(shipment.id)
    }
  end

  defp delays(id) do
    receive do
      {:slept, ^id, ms} -> [ms | delays(id)]
    after
      0 -> []
    end
  end

  @tag points: 2
  test "every permanent refusal (4xx, :unauthorized, :invalid_address) gets a single attempt" do
    # Every 4xx status but 429, each one: "any other 4xx" leaves none out (a 408 included).
    other_4xx = for status <- 400..499, status != 429, do: {:http_status, status}

    for reason <- [:unauthorized, :invalid_address | other_4xx] do
      run = run([{:error, reason}])

      assert run.attempts == 1,
             "the carrier refused with #{inspect(reason)}, a permanent failure: asking again " <>
               "gets the same answer, but it was asked #{run.attempts} times"

      assert run.result == {:error, reason}

      assert run.delays == [],
             "#{inspect(reason)} is not retried, so there is nothing to wait for"
    end
  end

  @tag points: 1
  test "network errors (:closed, :econnrefused) are transient: 3 attempts, then the error" do
    assert_transient([:closed, :econnrefused])

    # Each attempt fails its own way: the error returned is the last attempt's.
    run = run([{:error, :econnrefused}, {:error, :econnrefused}, {:error, :closed}])

    assert {run.attempts, run.result} == {3, {:error, :closed}},
           "the carrier refused the connection twice, then closed it on the 3rd and last " <>
             "attempt: return the last attempt's error as it is, {:error, :closed}, not " <>
             "#{inspect(run.result)} (after #{run.attempts} attempts)"
  end

  @tag points: 1
  test "a 429 (rate limited) is transient although it is a 4xx: 3 attempts, then the error" do
    assert_transient([{:http_status, 429}])
  end

  @tag points: 1
  test "every 5xx status is transient: 3 attempts, then the error" do
    assert_transient(for status <- [500, 501, 503, 504, 507, 599], do: {:http_status, status})
  end

  defp assert_transient(reasons) do
    for reason <- reasons do
      run = run([{:error, reason}])

      assert run.attempts == 3,
             "#{inspect(reason)} is a transient failure (see Shipping.Carrier): try 3 times " <>
               "in all, but the carrier was asked #{run.attempts} times"

      assert run.result == {:error, reason},
             "after the last attempt return the carrier's error as it is, " <>
               "#{inspect({:error, reason})}, not #{inspect(run.result)}"
    end
  end

  @tag points: 1
  test "there is no wait after the last attempt: 3 attempts, 2 waits" do
    run = run([{:error, :timeout}])

    assert length(run.delays) == 2,
           "waits go between attempts; after the last one the packing station is only kept " <>
             "waiting for nothing. Waits asked for: #{inspect(run.delays)}"
  end

  @tag points: 1
  test "a permanent refusal after a transient failure stops the retries at once" do
    run = run([{:error, :timeout}, {:error, :invalid_address}, {:ok, @label}])

    assert run.attempts == 2,
           "the 2nd attempt was refused with :invalid_address: stop there, " <>
             "but the carrier was asked #{run.attempts} times"

    assert run.result == {:error, :invalid_address},
           "return the refusal that ended the retries, not #{inspect(run.result)}"
  end

  @tag points: 1
  test "a bug in the carrier client (an exception) is not retried" do
    shipment = shipment()
    ScriptedCarrier.script(shipment.id, [{:raise, ArgumentError}])

    assert_raise ArgumentError, fn ->
      LabelClient.create_label(ScriptedCarrier, shipment, sleep: fn _ms -> :ok end)
    end

    assert ScriptedCarrier.attempts(shipment.id) == 1,
           "an exception is a bug, not a hiccup of the carrier: retrying only repeats it"
  end

  @tag points: 1
  test "a label on the first attempt comes back without any wait" do
    run = run([{:ok, @label}])

    assert run.result == {:ok, @label}
    assert run.attempts == 1
    assert run.delays == [], "nothing failed, so nothing should wait: #{inspect(run.delays)}"
  end

  @tag points: 1
  test "parcels labelled at the same time each get their own 3 attempts" do
    runs =
      1..10
      |> Enum.map(fn _ ->
        Task.async(fn ->
          try do
            run([{:error, :econnrefused}])
          rescue
            exception -> {:raised, Exception.message(exception)}
          end
        end)
      end)
      |> Task.await_many(10_000)

    for run <- runs do
      assert is_map(run), "a concurrent label request failed: #{inspect(run)}"

      assert {run.attempts, length(run.delays)} == {3, 2},
             "every parcel gets 3 attempts and 2 waits of its own, whatever the other " <>
               "parcels do; one got #{run.attempts} attempts and waits #{inspect(run.delays)}"
    end
  end

  @tag points: 1
  test "the waits are whole milliseconds" do
    run = run([{:error, {:http_status, 502}}])

    assert run.delays != [] and Enum.all?(run.delays, &(is_integer(&1) and &1 > 0)),
           "Process.sleep/1 takes a positive whole number of milliseconds, got #{inspect(run.delays)}"
  end

  @tag points: 1
  test "the waits add up to 10 seconds at most" do
    # 200 calls, so that random jitter that can break the budget does, whatever the seed.
    # Nothing waits for real (the sleep function only records), so they take well under a
    # second; the 5 s cap only keeps a client that sleeps for real (which another test
    # reports) from running out this test's time.
    give_up_at = System.monotonic_time(:millisecond) + 5_000
    within_budget(200, give_up_at)
  end

  defp within_budget(0, _give_up_at), do: :ok

  defp within_budget(calls_left, give_up_at) do
    run = run([{:error, {:http_status, 502}}])

    assert Enum.sum(run.delays) <= 10_000,
           "the packing station waits for this label: #{Enum.sum(run.delays)} ms of waiting " <>
             "in all (#{inspect(run.delays)}) is too long, keep it within 10 seconds, " <>
             "jitter included: on every call, not only on most"

    if System.monotonic_time(:millisecond) < give_up_at,
      do: within_budget(calls_left - 1, give_up_at)
  end
end
