defmodule CheckoutTest do
  use ExUnit.Case

  import ExUnit.CaptureIO
  import ExUnit.CaptureLog

  # One log event per record: "\u001e<level>|<metadata>|<message>", the metadata as "key=value ".
  @log_opts [
    level: :debug,
    format: "\u001e$level|$metadata|$message",
    metadata: [:request_id, :pid],
    colors: [enabled: false]
  ]

  defmodule Payments do
    # Charges every card but "tok_declined".
    @behaviour Checkout.Payments
    def charge(_amount_cents, "tok_declined"), do: {:error, :card_declined}
    def charge(amount_cents, _card), do: {:ok, "ch_#{amount_cents}"}
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

  # What `fun` returned and the log events it produced, as maps.
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

  @tag points: 1
  test "a checkout is charged the cart's total" do
    {result, _events} = logged(fn -> Checkout.handle(request(), @deps) end)
    assert result == {:ok, "ch_3000"}
  end

  @tag points: 1
  test "a request the fraud model suspects is refused, the card is not charged" do
    {result, _events} = logged(fn -> Checkout.handle(request("tok_stolen"), @deps) end)
    assert result == {:error, :fraud_suspected}
  end

  @tag points: 2
  test "handling a request writes nothing to stdout: IO.puts is not logging" do
    output = capture_io(fn -> logged(fn -> Checkout.handle(request(), @deps) end) end)

    assert output == "",
           "handle/2 wrote to stdout:\n#{output}\nstdout has no level, no metadata and no log " <>
             "pipeline behind it: log with Logger (and emit the duration as an event)"
  end

  @tag points: 3
  test "the request's log lines carry request_id as metadata, not in the message text" do
    %{id: id} = req = request()
    {{:ok, _}, events} = logged(fn -> Checkout.handle(req, @deps) end)
    own = Enum.filter(events, &written_by?(&1, self()))

    assert own != [],
           "the request process logged nothing; the log had:\n#{show(events)}\n" <>
             "log that the request finished (Logger.info, with how long it took)"

    untagged = Enum.filter(own, &(request_id(&1) != id))

    assert untagged == [],
           "these lines of the request have no request_id=#{id} metadata, so nobody can find " <>
             "them by request:\n#{show(untagged)}\nset it with Logger.metadata(request_id: id) or " <>
             "pass it with each call (Logger.info(message, request_id: id))"

    interpolated = Enum.filter(events, &String.contains?(&1.message, id))

    assert interpolated == [],
           "these messages have the request id written into their text:\n#{show(interpolated)}\n" <>
             "keep the message constant and the id in the metadata, where a log pipeline can index it"
  end

  @tag points: 2
  test "a finished request emits [:checkout, :request, :stop] with its duration and result" do
    subscribe()
    %{id: id} = req = request()
    {{:ok, charge_id}, _events} = logged(fn -> Checkout.handle(req, @deps) end)

    assert_received {:event, [:checkout, :request, :stop], measurements, metadata},
                    "no [:checkout, :request, :stop] event reached the subscriber before handle/2 " <>
                      "returned: emit it with Checkout.Events.emit/3"

    assert %{duration: duration} = measurements
    assert is_integer(duration) and duration >= 0, "the duration must be an integer, got #{inspect(duration)}"
    assert metadata.request_id == id
    assert metadata.result == {:ok, charge_id}
    refute_received {:event, [:checkout, :request, :stop], _, _}, "one request, one stop event"
  end
end
