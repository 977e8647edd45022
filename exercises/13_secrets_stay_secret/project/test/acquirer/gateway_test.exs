defmodule Acquirer.GatewayTest do
  use ExUnit.Case

  import ExUnit.CaptureLog

  alias Acquirer.{Credentials, Gateway}

  @observer :acquirer_gateway_test
  # One log event per record: "\u001e<level>|<message>".
  @log_opts [level: :debug, format: "\u001e$level|$message", colors: [enabled: false]]

  defmodule FakeAcquirer do
    # The acquirer as it should be: tells the test what it was sent, charges every card but one.
    @behaviour Acquirer.HTTP
    def post(url, headers, body) do
      if observer = Process.whereis(:acquirer_gateway_test),
        do: send(observer, {:request, url, headers})

      cond do
        String.ends_with?(url, "/keys/verify") ->
          {:ok, %{status: 200, body: %{"valid" => true}}}

        body[:source] == "tok_declined" ->
          {:ok, %{status: 402, body: %{"decline_code" => "insufficient_funds"}}}

        true ->
          {:ok, %{status: 201, body: %{"id" => "ch_" <> Integer.to_string(body[:amount])}}}
      end
    end
  end

  defmodule BadGateway do
    # A proxy in front of the acquirer answers every request with an HTML error page.
    @behaviour Acquirer.HTTP
    def post(_url, _headers, _body),
      do: {:ok, %{status: 502, body: "<html>502 Bad Gateway</html>"}}
  end

  setup do
    # The previous test's process may still be exiting: wait until it has let go of the name.
    if previous = Process.whereis(@observer) do
      ref = Process.monitor(previous)
      assert_receive {:DOWN, ^ref, :process, _, _}, 5_000
    end

    Process.register(self(), @observer)
    # A fresh key per test, so that a key found in a log can only come from this test.
    %{key: "sk_live_#{System.unique_integer([:positive])}k#{:rand.uniform(1_000_000_000)}"}
  end

  defp credentials(key), do: %Credentials{merchant_id: "m_1029", api_key: key}

  defp start_gateway(key, http) do
    {:ok, gateway} = Gateway.start_link(credentials: credentials(key), http: http)
    gateway
  end

  # The log events `fun` produced, as [{level, message}].
  defp log_events(fun) do
    capture_log(@log_opts, fun)
    |> String.split("\u001e", trim: true)
    |> Enum.map(fn event -> event |> String.split("|", parts: 2) |> List.to_tuple() end)
  end

  defp leaking(events, key),
    do: for({level, text} <- events, text =~ key, do: "[#{level}] " <> text)

  @tag points: 1
  test "charges are signed with the merchant's real API key" do
    gateway = start_gateway(key = "sk_live_real_4f9a", FakeAcquirer)

    {result, _log} = with_log(fn -> Gateway.charge(gateway, 1_250, "tok_visa") end)
    assert result == {:ok, "ch_1250"}
    assert_received {:request, "https://api.acquirer.example/v1/charges", headers}

    assert {"authorization", "Bearer " <> ^key} = List.keyfind(headers, "authorization", 0),
           "the acquirer must receive the real key in the authorization header, it got #{inspect(headers)}: " <>
             "hide the key from what is shown, not from the requests that need it"
  end

  @tag points: 1
  test "a declined card is answered {:error, {:declined, code}}" do
    gateway = start_gateway("sk_live_real_4f9a", FakeAcquirer)
    {result, _log} = with_log(fn -> Gateway.charge(gateway, 1_250, "tok_declined") end)
    assert result == {:error, {:declined, "insufficient_funds"}}
  end

  @tag points: 2
  test "inspect/1 of the credentials does not show the API key" do
    shown = inspect(credentials("sk_live_never_printed_77c1"))

    refute shown =~ "sk_live_never_printed_77c1",
           "inspect/1 printed #{shown}: every log line, crash report and IEx session that shows the struct " <>
             "shows the key. Leave :api_key out of the struct's Inspect (@derive {Inspect, except: [...]})"
  end

  @tag points: 1
  test "starting the gateway and charging a card log no API key", %{key: key} do
    events =
      log_events(fn ->
        {:ok, _} = Gateway.charge(start_gateway(key, FakeAcquirer), 1_250, "tok_visa")
      end)

    assert leaking(events, key) == [],
           "these log lines show the API key (log the merchant, the request's path and body, never " <>
             "the credentials' key or the request's headers):\n#{Enum.join(leaking(events, key), "\n")}"
  end

  @tag points: 2
  test "the status dump (:sys.get_status/1) does not show the API key", %{key: key} do
    gateway = start_gateway(key, FakeAcquirer)
    status = :sys.get_status(gateway)

    refute shows?(status, key),
           "the key is in :sys.get_status/1, which observer, remote shells and debugging tools print " <>
             "(Erlang's ~p does not use Inspect, so @derive alone does not hide it here):\n" <>
             inspect(status, limit: :infinity, structs: false) <>
             "\nGive the gateway a format_status/1 callback that redacts the state"
  end

  @tag points: 3
  test "the crash report of a gateway that crashes holding the key does not contain it", %{
    key: key
  } do
    Process.flag(:trap_exit, true)
    gateway = start_gateway(key, BadGateway)

    events =
      log_events(fn ->
        outcome = crash(fn -> Gateway.charge(gateway, 1_250, "tok_visa") end, gateway)

        assert outcome == :crashed,
               "the acquirer answered a 502 HTML page, outside the HTTP contract: the gateway must still " <>
                 "crash on it (its supervisor restarts it), but charge/3 returned #{inspect(outcome)}"
      end)

    report = for {"error", text} <- events, do: text

    assert Enum.any?(report, &(&1 =~ "terminating")),
           "no crash report was logged for the crash: #{inspect(events)}"

    assert leaking(for(text <- report, do: {"error", text}), key) == [],
           "the crash report prints the gateway's state, API key included:\n#{shown(report)}"
  end

  # The crash report as a reader sees it first, without the client's stack trace.
  defp shown(report), do: Enum.map_join(report, "\n", &(&1 |> String.split("\nClient ") |> hd()))

  # Runs `fun` (a call that makes `gateway` crash): :crashed once the gateway has exited, or what
  # the call returned.
  defp crash(fun, gateway) do
    try do
      fun.()
    catch
      :exit, _ ->
        assert_receive {:EXIT, ^gateway, _}, 5_000
        :crashed
    end
  end

  # Whether `term` holds `secret` anywhere a printer would show it: Erlang's own printers (~p, used
  # by status dumps and OTP's reports) show every field of a struct, whatever its Inspect says.
  defp shows?(term, secret) when is_binary(term), do: String.contains?(term, secret)
  defp shows?(term, secret) when is_tuple(term), do: shows?(Tuple.to_list(term), secret)
  defp shows?(%{} = map, secret), do: Enum.any?(Map.to_list(map), &shows?(&1, secret))
  defp shows?([head | tail], secret), do: shows?(head, secret) or shows?(tail, secret)
  defp shows?(_other, _secret), do: false
end
