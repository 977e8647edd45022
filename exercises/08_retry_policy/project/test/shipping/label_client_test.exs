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
  # Give it `shipment` to ask again for a parcel asked for before.
  defp run(answers, shipment \\ new_shipment()) do
    ScriptedCarrier.script(shipment.id, answers)
    result = LabelClient.create_label(ScriptedCarrier, shipment, sleep: recorder(shipment))

    %{
      shipment: shipment,
      result: result,
      attempts: ScriptedCarrier.attempts(shipment.id),
      delays: delays(shipment.id)
    }
  end

  defp new_shipment, do: %{id: "shp_#{System.unique_integer([:positive])}", weight_g: 1_200}

  # A sleep function that tells the test the wait it was asked for, and returns at once.
  defp recorder(shipment) do
    test = self()
    fn ms -> send(test, {:slept, shipment.id, ms}) && :ok end
  end

  defp delays(id) do
    receive do
      {:slept, ^id, ms} -> [ms | delays(id)]
    after
      0 -> []
    end
  end

  # Runs `fun` in a new process, tracing its calls to Process.sleep/1 and :timer.sleep/1 (and
  # those of any process it starts). Returns how the process ended and the calls, as
  # [{module, ms}]. With `:first`, the process is killed at its first such call, so the test
  # never waits for real.
  defp sleeps_called(fun, mode) do
    test = self()
    sleeps = [{Process, :sleep, 1}, {:timer, :sleep, 1}]
    for {module, _, _} <- sleeps, do: Code.ensure_loaded!(module)

    {pid, ref} =
      spawn_monitor(fn ->
        receive do
          :go -> send(test, {:ended, self(), fun.()})
        end
      end)

    :erlang.trace(pid, true, [:call, :set_on_spawn, {:tracer, test}])
    for mfa <- sleeps, do: :erlang.trace_pattern(mfa, true, [:global])

    try do
      send(pid, :go)
      traced_sleeps(pid, ref, mode, [])
    after
      for mfa <- sleeps, do: :erlang.trace_pattern(mfa, false, [:global])
    end
  end

  defp traced_sleeps(pid, ref, mode, slept) do
    receive do
      {:trace, _process, :call, {module, :sleep, [ms]}} when mode == :first ->
        Process.exit(pid, :kill)
        assert_receive {:DOWN, ^ref, :process, ^pid, _}, 5_000
        {:killed_at_first_sleep, [{module, ms}]}

      {:trace, _process, :call, {module, :sleep, [ms]}} ->
        traced_sleeps(pid, ref, mode, [{module, ms} | slept])

      {:ended, ^pid, result} ->
        assert_receive {:DOWN, ^ref, :process, ^pid, _}, 5_000
        {{:returned, result}, slept ++ delivered_sleeps()}

      {:DOWN, ^ref, :process, ^pid, reason} ->
        {{:exited, reason}, slept ++ delivered_sleeps()}
    after
      10_000 ->
        Process.exit(pid, :kill)
        flunk("create_label/3 was still busy after 10 s, for a carrier that answers at once")
    end
  end

  # The sleep calls traced but not yet read, once every trace message has been delivered.
  defp delivered_sleeps do
    ref = :erlang.trace_delivered(:all)
    assert_receive {:trace_delivered, :all, ^ref}, 5_000
    flush_sleeps()
  end

  defp flush_sleeps do
    receive do
      {:trace, _process, :call, {module, :sleep, [ms]}} -> [{module, ms} | flush_sleeps()]
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

    # With a :sleep option, no part of any wait goes to Process.sleep/1 or :timer.sleep/1.
    shipment = new_shipment()
    ScriptedCarrier.script(shipment.id, [{:error, :timeout}, {:error, :timeout}, {:ok, @label}])
    create = fn -> LabelClient.create_label(ScriptedCarrier, shipment, sleep: recorder(shipment)) end
    {ended, slept} = sleeps_called(create, :all)

    assert ended == {:returned, {:ok, @label}}

    assert slept == [],
           "given a :sleep option, create_label/3 still called #{inspect(slept)} itself: every " <>
             "wait, jitter included, goes through the :sleep function, so that a caller who " <>
             "passes one decides how waiting is done"

    # With no :sleep option, the default (&Process.sleep/1, as the moduledoc says) really
    # waits. The process is killed at its first wait, so nothing waits here.
    shipment = new_shipment()
    ScriptedCarrier.script(shipment.id, [{:error, :timeout}, {:error, :timeout}, {:ok, @label}])
    create = fn -> LabelClient.create_label(ScriptedCarrier, shipment) end
    {ended, slept} = sleeps_called(create, :first)

    assert slept != [],
           "with no :sleep option, create_label/3 retried after a :timeout without waiting " <>
             "(it ended #{inspect(ended, limit: 5)}, and called neither Process.sleep/1 nor " <>
             ":timer.sleep/1): the default :sleep is &Process.sleep/1, as the moduledoc says, " <>
             "so that in production the retries back off from a struggling carrier"
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

    # The station asks again for the same parcel later: a new call, with 3 attempts of its own.
    again = run([{:error, :timeout}], run.shipment)

    assert again.attempts == 3,
           "asked again for the label of the same parcel, which keeps timing out, the client " <>
             "asked the carrier #{again.attempts} times: every call gets its own 3 attempts. " <>
             "Count the attempts of this call (from 1), not of the parcel: nothing carries " <>
             "over from an earlier call."
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
