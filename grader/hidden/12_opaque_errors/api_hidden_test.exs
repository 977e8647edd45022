defmodule Shop.APIHiddenTest do
  use ExUnit.Case

  import ExUnit.CaptureLog

  alias Shop.API

  @card "5186001700008785"
  @email "grace.hopper@example.com"
  @request %{
    request_id: "req_Zp81Vd",
    params: %{
      "sku" => "MUG-0310",
      "quantity" => 1,
      "card_number" => @card,
      "cvc" => "418",
      "email" => @email
    }
  }
  @log_options [metadata: [:request_id, :error_id]]

  defmodule Pricing do
    # Prices bulk orders only: any other params raise FunctionClauseError, whose stack trace
    # carries the arguments (here, the whole params map).
    def price(%{"quantity" => quantity}) when is_integer(quantity) and quantity >= 100,
      do: {:ok, %{id: "ord_bulk", total_cents: quantity * 90}}
  end

  defmodule Payments do
    # The payment client refuses the card and says which: a MatchError on {:ok, _} holds it all.
    def charge(params), do: {:error, {:card_declined, params["card_number"]}}
  end

  @tag points: 2
  test "every failure gets its own unguessable error id: not the request id, not a counter" do
    crash = fn _params -> raise "inventory cache is empty" end

    # The same request retried 30 times: the client may well send its request id again.
    ids =
      for _ <- 1..30 do
        {outcome, _log} = respond(crash)
        error_id!(outcome)
      end

    for id <- ids do
      refute id =~ @request.request_id,
             "the error id #{inspect(id)} holds the request id: the client sent or saw that id, and " <>
               "a retry of the same request would get the same one. Make a new id for every failure."

      assert String.length(id) >= 16,
             "the error id #{inspect(id)} is too short to be unguessable: use at least 64 random " <>
               "bits, e.g. :crypto.strong_rand_bytes(16) |> Base.encode16(case: :lower)"
    end

    assert length(Enum.uniq(ids)) == length(ids),
           "30 failures got only #{length(Enum.uniq(ids))} different error ids: each failure needs " <>
             "its own id, or support cannot tell one log line from another. Ids: #{inspect(ids)}"

    for [a, b] <- Enum.chunk_every(ids, 2, 1, :discard) do
      assert differing_positions(a, b) >= 8,
             "two failures in a row got the error ids #{inspect(a)} and #{inspect(b)}, which differ " <>
               "in only #{differing_positions(a, b)} characters: anyone who holds one can guess the " <>
               "next (a counter, a timestamp, a reference). Make the id random: " <>
               ":crypto.strong_rand_bytes(16) |> Base.encode16(case: :lower)"
    end
  end

  @tag points: 2
  test "the log of a crash carries what failed, but never the card number or the email from the params" do
    stuck = spawn(fn -> receive(do: (:stop -> :ok)) end)
    on_exit(fn -> Process.exit(stuck, :kill) end)

    failures = [
      {"KeyError", "a KeyError, whose message holds the whole params map",
       fn params -> {:ok, %{id: Map.fetch!(params, "coupon"), total_cents: 0}} end},
      {"MatchError", "a MatchError, whose term holds the card number",
       fn params ->
         {:ok, charge} = Payments.charge(params)
         {:ok, %{id: charge, total_cents: 0}}
       end},
      {"FunctionClauseError", "a FunctionClauseError, whose stack trace holds the arguments",
       &Pricing.price/1},
      {~r/time ?out/, "an exit from GenServer.call, whose reason holds the call's message",
       fn params -> GenServer.call(stuck, {:charge, params}, 100) end}
    ]

    for {kind, what, place} <- failures do
      {outcome, log} = respond(place)
      id = error_id!(outcome)

      assert log =~ id,
             "after #{what}, no log line carries the error id #{inspect(id)} the client was given. The log was:\n#{log}"

      assert log =~ kind,
             "after #{what}, the log must still say what failed (#{inspect(kind)}): log chosen " <>
               "fields, not nothing. The log was:\n#{log}"

      for {secret, name} <- [{@card, "card number"}, {@email, "email address"}] do
        refute log =~ secret,
               "after #{what}, the log holds the customer's #{name}. Logs are read by many people " <>
                 "and kept for months: log chosen fields (the error id, the request id, the " <>
                 "exception's module, an exit's tag, the stack trace with arities instead of " <>
                 "arguments), never Exception.format/3, an exception's message or inspect(reason). " <>
                 "The log was:\n#{log}"
      end
    end
  end

  @tag points: 1
  test "a dead dependency (an exit) is answered 503 with an error id, logged, and the next request works" do
    {dead, ref} = spawn_monitor(fn -> :ok end)
    assert_receive {:DOWN, ^ref, :process, ^dead, _reason}
    place = fn params -> GenServer.call(dead, {:reserve, params["sku"]}, 1_000) end

    {outcome, log} = respond(place)
    {status, body} = answered!(outcome)

    assert status == 503 and Enum.sort(Map.keys(body)) == ["error", "error_id"] and
             body["error"] == "unavailable",
           "the inventory server is not running (GenServer.call exits with :noproc): the answer " <>
             "is 503 %{\"error\" => \"unavailable\", \"error_id\" => id}, but handle/2 answered " <>
             inspect({status, body}, printable_limit: 400)

    assert log =~ body["error_id"] and log =~ ~r/noproc|no process/,
           "the log must carry the error id #{inspect(body["error_id"])} and the exit's reason " <>
             "(:noproc, the server is down). The log was:\n#{log}"

    placed = API.handle(@request, fn _params -> {:ok, %{id: "ord_2", total_cents: 1_200}} end)

    assert placed == {201, %{"order_id" => "ord_2", "total_cents" => 1_200}},
           "after an exit was answered, the next request must work as before, got #{inspect(placed)}"
  end

  @tag points: 2
  test "every kind of crash is answered 500 with only the stable error and an error id" do
    crashes = [
      {"a plain raise (RuntimeError)", fn _params -> raise "inventory cache is empty" end},
      {"a KeyError", fn params -> {:ok, %{id: Map.fetch!(params, "coupon"), total_cents: 0}} end},
      {"a MatchError",
       fn params ->
         {:ok, charge} = Payments.charge(params)
         {:ok, %{id: charge, total_cents: 0}}
       end},
      {"a FunctionClauseError", &Pricing.price/1},
      {"an ArithmeticError",
       fn params -> {:ok, %{id: "ord_3", total_cents: div(100, params["quantity"] - 1)}} end},
      {"an answer outside the domain's contract ({:error, :db_locked})",
       fn _params -> {:error, :db_locked} end},
      {"an answer outside the domain's contract (:ok)", fn _params -> :ok end},
      {"a throw", fn _params -> throw(:abort_checkout) end}
    ]

    for {what, place} <- crashes do
      {outcome, _log} = respond(place)
      {status, body} = answered!(outcome, what)

      assert status == 500 and Enum.sort(Map.keys(body)) == ["error", "error_id"] and
               body["error"] == "internal_error" and is_binary(body["error_id"]),
             "after #{what} in the domain, handle/2 must answer exactly " <>
               "{500, %{\"error\" => \"internal_error\", \"error_id\" => id}}: nothing of the " <>
               "failure reaches the client. It answered " <>
               inspect({status, body}, printable_limit: 400)
    end
  end

  @tag points: 1
  test "every known domain error keeps its 4xx answer, with no error id" do
    fields = %{"quantity" => "must be positive", "email" => "is invalid"}

    known = [
      {{:error, :not_found}, {404, %{"error" => "not_found"}}},
      {{:error, {:validation, fields}},
       {422, %{"error" => "validation_failed", "fields" => fields}}},
      {{:error, :out_of_stock}, {409, %{"error" => "out_of_stock"}}}
    ]

    for {error, expected} <- known do
      response = API.handle(@request, fn _params -> error end)

      assert response == expected,
             "#{inspect(error)} is a known domain error, the client's to act on: it must keep its " <>
               "answer #{inspect(expected)}, untouched (no error id: nothing failed on our side), " <>
               "but handle/2 answered #{inspect(response)}"
    end
  end

  defp respond(place) do
    with_log(@log_options, fn ->
      try do
        API.handle(@request, place)
      catch
        kind, reason -> {:escaped, kind, reason}
      end
    end)
  end

  defp error_id!(outcome) do
    case answered!(outcome) do
      {_status, %{"error_id" => id}} when is_binary(id) ->
        id

      response ->
        flunk(
          "a crash must be answered with a string error id in the body; handle/2 answered #{inspect(response, printable_limit: 300)}"
        )
    end
  end

  defp answered!(outcome, what \\ "the failure")

  defp answered!({:escaped, kind, reason}, what) do
    flunk(
      "handle/2 gave no answer after #{what}: #{kind_name(kind)} went through it (#{inspect(reason, limit: 6, printable_limit: 120)}) " <>
        "and would end the request process. `rescue` catches only exceptions; `catch kind, reason` " <>
        "catches exceptions, exits and throws."
    )
  end

  defp answered!({status, body}, _what) when is_integer(status) and is_map(body),
    do: {status, body}

  defp answered!(other, _what),
    do: flunk("handle/2 must answer {status, body_map}, it answered #{inspect(other)}")

  defp kind_name(:exit), do: "an exit"
  defp kind_name(:throw), do: "a throw"
  defp kind_name(:error), do: "an exception"

  defp differing_positions(a, b) do
    {a, b} = {String.graphemes(a), String.graphemes(b)}
    Enum.count(Enum.zip(a, b), fn {x, y} -> x != y end) + abs(length(a) - length(b))
  end
end
