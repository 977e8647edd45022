defmodule CheckoutHiddenTest do
  use ExUnit.Case

  import ExUnit.CaptureLog

  # One log event per record: "\u001e<level>|<metadata>|<message>", the metadata as "key=value ".
  @log_opts [
    level: :debug,
    format: "\u001e$level|$metadata|$message",
    metadata: [:request_id, :pid],
    colors: [enabled: false]
  ]
  @slow_ms 100

  defmodule Payments do
    # Charges every card but "tok_declined".
    @behaviour Checkout.Payments
    def charge(_amount_cents, "tok_declined"), do: {:error, :card_declined}
    def charge(amount_cents, _card), do: {:ok, "ch_#{amount_cents}"}
  end

  defmodule SlowPayments do
    # A provider that takes at least 100 ms to charge a card.
    @behaviour Checkout.Payments
    def charge(amount_cents, card) do
      Process.sleep(100)
      CheckoutHiddenTest.Payments.charge(amount_cents, card)
    end
  end

  defmodule Fraud do
    # Trusts every request but those paid with "tok_stolen".
    @behaviour Checkout.Fraud
    def score(%{card: "tok_stolen"}), do: 95
    def score(_request), do: 12
  end

  @deps [payments: Payments, fraud: Fraud]

  defp request(card \\ "tok_visa") do
    %{
      id: "req_#{System.unique_integer([:positive])}x#{:rand.uniform(1_000_000)}",
      card: card,
      cart: [%{price_cents: 1_250, qty: 2}, %{price_cents: 500, qty: 1}]
    }
  end

  defp logged(fun) do
    {result, log} = with_log(@log_opts, fun)

    events =
      for record <- String.split(log, "\u001e", trim: true) do
        [level, metadata, message] = String.split(record, "|", parts: 3)
        %{level: level, metadata: metadata, message: String.trim_trailing(message), text: record}
      end

    {result, events}
  end

  defp request_id(%{metadata: metadata}) do
    case Regex.run(~r/request_id=(\S+)/, metadata) do
      [_, id] -> id
      nil -> nil
    end
  end

  defp written_by?(%{metadata: metadata}, pid),
    do: String.contains?(metadata, "pid=" <> List.to_string(:erlang.pid_to_list(pid)))

  defp show(events), do: Enum.map_join(events, "\n", &("  " <> &1.text))

  defp subscribe do
    test = self()
    handler_id = {__MODULE__, make_ref()}

    :ok =
      Checkout.Events.attach(handler_id, [:checkout, :request, :stop], fn event, measurements, metadata ->
        send(test, {:event, event, measurements, metadata})
      end)

    on_exit(fn -> Checkout.Events.detach(handler_id) end)
  end

  defp stop_event do
    assert_received {:event, [:checkout, :request, :stop], measurements, metadata},
                    "no [:checkout, :request, :stop] event reached the subscriber before handle/2 returned"

    refute_received {:event, [:checkout, :request, :stop], _, _}, "one request, one stop event"
    {measurements, metadata}
  end

  @tag points: 3
  test "the fraud check's log line, written in its own task, carries the request_id too" do
    %{id: id} = req = request()
    {{:ok, _}, events} = logged(fn -> Checkout.handle(req, @deps) end)
    others = Enum.reject(events, &written_by?(&1, self()))

    assert others != [],
           "no line was logged outside the request process; the log had:\n#{show(events)}\n" <>
             "keep the fraud check's line (its score), logged in its task"

    untagged = Enum.filter(others, &(request_id(&1) != id))

    assert untagged == [],
           "these lines of the request's fraud-check task have no request_id=#{id}:\n#{show(untagged)}\n" <>
             "Logger metadata belongs to one process and a Task does not inherit it: read " <>
             "Logger.metadata() before Task.async and set it inside the task (or pass the id to each call)"

    interpolated = Enum.filter(events, &String.contains?(&1.message, id))
    assert interpolated == [], "these messages have the request id in their text:\n#{show(interpolated)}"
  end

  @tag points: 2
  test "the stop event's duration is in native time units and covers a slow payment call" do
    subscribe()
    {{:ok, _}, _events} = logged(fn -> Checkout.handle(request(), payments: SlowPayments, fraud: Fraud) end)
    {%{duration: duration}, _metadata} = stop_event()
    assert is_integer(duration), "the duration must be an integer, got #{inspect(duration)}"
    ms = System.convert_time_unit(duration, :native, :millisecond)

    assert ms >= @slow_ms and ms < 30_000,
           "the payment call alone took #{@slow_ms} ms, and the duration #{duration} reads as #{ms} ms in " <>
             "native units: measure with System.monotonic_time() (native units, never going back) and " <>
             "emit the difference unconverted, as telemetry does"
  end

  @tag points: 2
  test "a failed request still emits its stop event, with the error as its result" do
    subscribe()

    for {card, error} <- [{"tok_declined", {:error, :card_declined}}, {"tok_stolen", {:error, :fraud_suspected}}] do
      %{id: id} = req = request(card)
      {result, _events} = logged(fn -> Checkout.handle(req, @deps) end)
      assert result == error
      {measurements, metadata} = stop_event()
      assert is_integer(measurements[:duration])

      assert metadata == %{request_id: id, result: error},
             "the stop event of a failed request must say which request and how it ended, got #{inspect(metadata)}"
    end
  end

  @tag points: 2
  test "a declined request logs at error level, with its request_id" do
    %{id: id} = req = request("tok_declined")
    {{:error, :card_declined}, events} = logged(fn -> Checkout.handle(req, @deps) end)
    errors = Enum.filter(events, &(&1.level == "error" and request_id(&1) == id))

    assert errors != [],
           "a failed checkout logged no error line with request_id=#{id}; the log had:\n#{show(events)}\n" <>
             "log the failure (and its reason) with Logger.error, so alerts fire on it"
  end
end
