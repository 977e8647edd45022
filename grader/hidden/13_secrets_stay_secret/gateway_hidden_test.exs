defmodule Acquirer.GatewayHiddenTest do
  use ExUnit.Case

  import ExUnit.CaptureLog

  alias Acquirer.{Credentials, Gateway}

  @observer :acquirer_gateway_hidden_test
  # One log event per record: "\u001e<level>|<message>".
  @log_opts [level: :debug, format: "\u001e$level|$message", colors: [enabled: false]]

  defmodule FakeAcquirer do
    # The acquirer as it should be: tells the test what it was sent, accepts every key and card.
    @behaviour Acquirer.HTTP
    def post(url, headers, body) do
      if observer = Process.whereis(:acquirer_gateway_hidden_test),
        do: send(observer, {:request, url, headers})

      if String.ends_with?(url, "/keys/verify"),
        do: {:ok, %{status: 200, body: %{"valid" => true}}},
        else: {:ok, %{status: 201, body: %{"id" => "ch_" <> Integer.to_string(body[:amount])}}}
    end
  end

  defmodule VerifyDown do
    # Charges go through; the key-verification endpoint answers an HTML error page from a proxy.
    @behaviour Acquirer.HTTP
    def post(url, headers, body) do
      if String.ends_with?(url, "/keys/verify"),
        do: {:ok, %{status: 502, body: "<html>502 Bad Gateway</html>"}},
        else: Acquirer.GatewayHiddenTest.FakeAcquirer.post(url, headers, body)
    end
  end

  setup do
    # The previous test's process may still be exiting: wait until it has let go of the name.
    if previous = Process.whereis(@observer) do
      ref = Process.monitor(previous)
      assert_receive {:DOWN, ^ref, :process, _, _}, 5_000
    end

    Process.register(self(), @observer)
    # Fresh keys per test, so that a key found in a log can only come from this test.
    key = fn ->
      "sk_live_#{System.unique_integer([:positive])}k#{:rand.uniform(1_000_000_000)}"
    end

    %{key: key.(), new_key: key.()}
  end

  defp start_gateway(key, http) do
    {:ok, gateway} =
      Gateway.start_link(
        credentials: %Credentials{merchant_id: "m_1029", api_key: key},
        http: http
      )

    gateway
  end

  defp log_events(fun) do
    capture_log(@log_opts, fun)
    |> String.split("\u001e", trim: true)
    |> Enum.map(fn event -> event |> String.split("|", parts: 2) |> List.to_tuple() end)
  end

  defp leaking(events, keys),
    do: for({level, text} <- events, Enum.any?(keys, &(text =~ &1)), do: "[#{level}] " <> text)

  defp authorization(headers), do: List.keyfind(headers, "authorization", 0)

  @tag points: 3
  test "a key rotation that crashes leaks neither key: not the old one in the state, not the new one in the last message",
       %{key: key, new_key: new_key} do
    Process.flag(:trap_exit, true)
    gateway = start_gateway(key, VerifyDown)

    events =
      log_events(fn ->
        outcome =
          try do
            Gateway.rotate_key(gateway, new_key)
          catch
            :exit, _ ->
              assert_receive {:EXIT, ^gateway, _}, 5_000
              :crashed
          end

        assert outcome == :crashed,
               "the acquirer answered the key check with a 502 HTML page, outside the HTTP contract: the " <>
                 "gateway must still crash on it (its supervisor restarts it with the old key), but " <>
                 "rotate_key/2 returned #{inspect(outcome)}"
      end)

    report = for {"error", text} <- events, do: text

    assert Enum.any?(report, &(&1 =~ "terminating")),
           "no crash report was logged for the crash: #{inspect(events)}"

    old = if Enum.any?(report, &(&1 =~ key)), do: ["the old key (the state)"], else: []

    new =
      if Enum.any?(report, &(&1 =~ new_key)),
        do: ["the new key (the last message, {:rotate_key, key})"],
        else: []

    assert old ++ new == [],
           "the crash report shows #{Enum.join(old ++ new, " and ")}. A crash report prints the last message " <>
             "as well as the state, and format_status/1 gets both (its map's :message and :state):\n" <>
             Enum.map_join(report, "\n", &(&1 |> String.split("\nClient ") |> hd()))
  end

  @tag points: 1
  test "charges and key rotations log no API key, not even in a debug line of the request",
       %{key: key, new_key: new_key} do
    gateway = start_gateway(key, FakeAcquirer)

    events =
      log_events(fn ->
        {:ok, _} = Gateway.charge(gateway, 1_250, "tok_visa")
        :ok = Gateway.rotate_key(gateway, new_key)
        {:ok, _} = Gateway.charge(gateway, 990, "tok_visa")
      end)

    assert leaking(events, [key, new_key]) == [],
           "these log lines show an API key (log the request's path and body, never its headers):\n" <>
             Enum.join(leaking(events, [key, new_key]), "\n")
  end

  @tag points: 1
  test "after rotate_key/2, requests are signed with the new key", %{key: key, new_key: new_key} do
    gateway = start_gateway(key, FakeAcquirer)

    capture_log(fn ->
      :ok = Gateway.rotate_key(gateway, new_key)
      send(self(), {:result, Gateway.charge(gateway, 990, "tok_visa")})
    end)

    assert_received {:request, "https://api.acquirer.example/v1/keys/verify", verify_headers}
    assert_received {:request, "https://api.acquirer.example/v1/charges", charge_headers}
    assert_received {:result, {:ok, "ch_990"}}

    assert authorization(verify_headers) == {"authorization", "Bearer " <> new_key},
           "the key check must be signed with the new key, it got #{inspect(verify_headers)}"

    assert authorization(charge_headers) == {"authorization", "Bearer " <> new_key},
           "after the rotation the charge must be signed with the new key, it got #{inspect(charge_headers)}"
  end

  @tag points: 1
  test "after a key rotation the status dump shows neither the old key nor the new one",
       %{key: key, new_key: new_key} do
    gateway = start_gateway(key, FakeAcquirer)
    capture_log(fn -> :ok = Gateway.rotate_key(gateway, new_key) end)
    status = :sys.get_status(gateway)

    refute Enum.any?([key, new_key], &shows?(status, &1)),
           "an API key is in :sys.get_status/1 after a rotation:\n" <>
             inspect(status, limit: :infinity, structs: false)
  end

  @tag points: 1
  test "inspect/1 hides the key wherever the credentials are nested", %{key: key} do
    credentials = %Credentials{merchant_id: "m_1029", api_key: key}
    shown = inspect(%{merchant: [credentials], last: {:ok, credentials}}, limit: :infinity)
    refute shown =~ key, "inspect/1 printed the key: #{shown}"
  end

  defp shows?(term, secret) when is_binary(term), do: String.contains?(term, secret)
  defp shows?(term, secret) when is_tuple(term), do: shows?(Tuple.to_list(term), secret)
  defp shows?(%{} = map, secret), do: Enum.any?(Map.to_list(map), &shows?(&1, secret))
  defp shows?([head | tail], secret), do: shows?(head, secret) or shows?(tail, secret)
  defp shows?(_other, _secret), do: false
end
