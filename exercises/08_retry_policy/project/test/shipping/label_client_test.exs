defmodule Shipping.LabelClientTest do
  use ExUnit.Case

  alias Shipping.LabelClient

  @label %{tracking_number: "1Z999AA10123456784"}

  defmodule ScriptedCarrier do
    @moduledoc false
    # A fake carrier. Each shipment answers from its own script, one answer per attempt
    # (the last answer repeats for ever), and every attempt is counted.
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

      answer
    end
  end

  setup do
    start_supervised!(ScriptedCarrier)
    :ok
  end

  # Buys a label from a carrier that answers `answers`, one per attempt. The sleep function
  # only records the wait it was asked for: nothing really sleeps.
  defp run(answers) do
    shipment = %{id: "shp_#{System.unique_integer([:positive])}", weight_g: 1_200}
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

  @tag points: 1
  test "a label that comes through on the second attempt is returned" do
    run = run([{:error, :timeout}, {:ok, @label}])

    assert run.result == {:ok, @label}
    assert run.attempts == 2
  end

  @tag points: 1
  test "a label that comes through on the third and last attempt is returned" do
    run = run([{:error, :timeout}, {:error, {:http_status, 503}}, {:ok, @label}])

    assert run.result == {:ok, @label},
           "the carrier failed twice, then created the label on the 3rd attempt, which is " <>
             "within the 3 attempts allowed: return it, not #{inspect(run.result)}"

    assert run.attempts == 3
  end

  @tag points: 1
  test "every wait goes through the :sleep option: nothing sleeps for real" do
    run = run([{:error, :timeout}, {:error, :timeout}, {:ok, @label}])

    assert run.result == {:ok, @label}

    assert length(run.delays) == 2,
           "the carrier was asked #{run.attempts} times, so there were 2 waits, but the :sleep " <>
             "function was asked for #{length(run.delays)}: every wait goes through it (never " <>
             "straight to Process.sleep/1), so tests and callers decide how waiting is done"
  end

  @tag points: 3
  test "a carrier that keeps timing out is asked 3 times, then the error is returned" do
    run = run([{:error, :timeout}])

    assert run.attempts == 3,
           "the carrier timed out on every attempt: give up after 3 attempts in all, " <>
             "but it was asked #{run.attempts} times"

    assert run.result == {:error, :timeout},
           "after the last attempt the packing station must learn why there is no label: " <>
             "return the carrier's error, not #{inspect(run.result)}"
  end

  @tag points: 3
  test "a :bad_request is not retried: the carrier is asked once" do
    run = run([{:error, :bad_request}])

    assert run.attempts == 1,
           "the carrier refused the request as malformed: the same request gets the same " <>
             "answer, so ask once, but it was asked #{run.attempts} times"

    assert run.result == {:error, :bad_request}
    assert run.delays == [], "nothing will be retried, so there is nothing to wait for"
  end

  @tag points: 2
  test "the waits between attempts grow (exponential backoff; jitter is fine)" do
    for _run <- 1..100 do
      run = run([{:error, :timeout}, {:error, :timeout}, {:ok, @label}])

      assert run.result == {:ok, @label}

      assert [first, second] = run.delays,
             "3 attempts need exactly 2 waits, one before each retry, got #{inspect(run.delays)}"

      assert is_integer(first) and first > 0,
             "wait a positive whole number of milliseconds before retrying, not #{inspect(first)}"

      assert second > first,
             "waited #{first} ms before the 2nd attempt and #{second} ms before the 3rd: a " <>
               "struggling carrier needs longer and longer pauses, not the same hammering. " <>
               "Jitter is welcome, as long as every wait stays longer than the one before."
    end
  end
end
