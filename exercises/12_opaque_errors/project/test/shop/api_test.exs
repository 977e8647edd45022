defmodule Shop.APITest do
  use ExUnit.Case

  import ExUnit.CaptureLog

  alias Shop.API

  @card "4929386712049918"
  @request %{
    request_id: "req_7Hc2Lq",
    params: %{
      "sku" => "TEA-0042",
      "quantity" => 2,
      "card_number" => @card,
      "cvc" => "291",
      "email" => "ada.lovelace@example.com"
    }
  }
  # The captured log shows these Logger metadata too: a fix may log the ids as metadata or as text.
  @log_options [metadata: [:request_id, :error_id]]

  defmodule Warehouse do
    # A bug deep in the domain: the exception's message names an internal detail.
    def reserve(_params),
      do: raise(ArgumentError, "stock row 17 for TEA-0042 has a negative count")
  end

  @tag points: 1
  test "a placed order is answered 201 with its id and total" do
    place = fn _params -> {:ok, %{id: "ord_1", total_cents: 1_798}} end
    response = API.handle(@request, place)

    assert response == {201, %{"order_id" => "ord_1", "total_cents" => 1_798}},
           "the domain placed the order: handle/2 must answer 201 with the order, it answered #{inspect(response)}"
  end

  @tag points: 1
  test "known domain errors keep their 404 and 422 answers" do
    not_found = API.handle(@request, fn _params -> {:error, :not_found} end)

    assert not_found == {404, %{"error" => "not_found"}},
           "{:error, :not_found} is a known domain error: it must stay 404 with its body as it " <>
             "was, untouched by the crash handling, but handle/2 answered #{inspect(not_found)}"

    fields = %{"quantity" => "must be positive"}
    invalid = API.handle(@request, fn _params -> {:error, {:validation, fields}} end)

    assert invalid == {422, %{"error" => "validation_failed", "fields" => fields}},
           "{:error, {:validation, fields}} must stay 422 with its fields, but handle/2 answered #{inspect(invalid)}"
  end

  @tag points: 3
  test "a crash is answered 500 with only a stable error and an error id, not the stack trace" do
    {outcome, _log} = respond(&Warehouse.reserve/1)
    {status, body} = answered!(outcome)

    assert status == 500,
           "the domain raised ArgumentError: that is a bug on our side, a 500, but handle/2 answered #{status}"

    assert Enum.sort(Map.keys(body)) == ["error", "error_id"] and
             body["error"] == "internal_error",
           "the body of a 500 must be exactly %{\"error\" => \"internal_error\", \"error_id\" => id}: " <>
             "a stable error the client can match on and an id to quote to support. It was " <>
             inspect(body, printable_limit: 400)

    assert is_binary(body["error_id"]) and body["error_id"] != "",
           "the error id must be a non-empty string, got #{inspect(body["error_id"])}"
  end

  @tag points: 2
  test "the 500 body names no module, file, line, exception or input" do
    {outcome, _log} = respond(&Warehouse.reserve/1)
    {_status, body} = answered!(outcome)
    text = inspect(body, printable_limit: :infinity)

    leaks = [
      {"Warehouse", "the name of the module that crashed"},
      {"Shop.", "a module name of ours"},
      {".ex:", "a source file and line"},
      {".exs:", "a source file and line"},
      {"ArgumentError", "the exception's name"},
      {"negative count", "the exception's message"},
      {@card, "the card number the client sent"},
      {"TEA-0042", "the request's params"}
    ]

    for {leak, what} <- leaks do
      refute text =~ leak,
             "the 500 body carries #{what} (#{inspect(leak)}): a map of our code, or the customer's " <>
               "own data, for anyone who reads the response. Keep the details in the log; the " <>
               "client gets a stable error and an opaque error id. The body was " <>
               inspect(body, printable_limit: 400)
    end
  end

  @tag points: 2
  test "the log line of a crash carries the body's error id, the request id, the exception and where it failed" do
    {outcome, log} = respond(&Warehouse.reserve/1)

    id =
      case answered!(outcome) do
        {_status, %{"error_id" => id}} when is_binary(id) ->
          id

        response ->
          flunk(
            "first answer a crash with an error id (see the tests above); handle/2 answered #{inspect(response, printable_limit: 200)}"
          )
      end

    assert log =~ id,
           "the client was given the error id #{inspect(id)}, but no log line carries it: support " <>
             "cannot find what happened. Log the same id you return. The log was:\n#{log}"

    assert log =~ "req_7Hc2Lq",
           "the log line must name the request id (req_7Hc2Lq), as text or as Logger metadata " <>
             "(:request_id), to join it with the router's own lines. The log was:\n#{log}"

    assert log =~ "ArgumentError",
           "the log line must say what failed: the exception's module (ArgumentError). The log was:\n#{log}"

    assert log =~ ~r/Warehouse(\.|, :)reserve(\/|, )1/,
           "the log line must say where it failed: the stack trace, whose top frame is " <>
             "Shop.APITest.Warehouse.reserve/1. The log was:\n#{log}"
  end

  @tag points: 2
  test "a dependency call that times out (an exit) is answered 503 and the caller survives" do
    # Takes calls and never answers: the inventory server stuck behind a lock.
    stuck = spawn(fn -> receive(do: (:stop -> :ok)) end)
    on_exit(fn -> Process.exit(stuck, :kill) end)
    place = fn _params -> GenServer.call(stuck, :reserve_stock, 100) end

    {outcome, log} = respond(place)

    {status, body} = answered!(outcome)

    assert status == 503,
           "GenServer.call timed out: the dependency is unavailable, and a retry later may work, " <>
             "so the answer is 503, but handle/2 answered #{status} with #{inspect(body, printable_limit: 200)}"

    assert Enum.sort(Map.keys(body)) == ["error", "error_id"] and body["error"] == "unavailable",
           "the body of a 503 must be exactly %{\"error\" => \"unavailable\", \"error_id\" => id}, it was " <>
             inspect(body, printable_limit: 400)

    assert is_binary(body["error_id"]) and log =~ body["error_id"],
           "the log must carry the error id #{inspect(body["error_id"])} the client was given. The log was:\n#{log}"
  end

  # Runs handle/2 and captures the log. An exit or throw that goes through handle/2 is caught
  # here and reported, instead of ending the test process as it would end the request process.
  defp respond(place, request \\ @request) do
    with_log(@log_options, fn ->
      try do
        API.handle(request, place)
      catch
        kind, reason -> {:escaped, kind, reason}
      end
    end)
  end

  defp answered!({:escaped, kind, reason}) do
    flunk(
      "handle/2 gave no answer: #{kind_name(kind)} went through it (#{inspect(reason, limit: 6, printable_limit: 120)}). " <>
        "In production that ends the request process: the client gets a bare error page and nothing " <>
        "is logged with an id. `rescue` catches only exceptions; `catch kind, reason` also catches " <>
        "exits (a GenServer.call that times out, a dead server) and throws."
    )
  end

  defp answered!({status, body}) when is_integer(status) and is_map(body), do: {status, body}

  defp answered!(other),
    do: flunk("handle/2 must answer {status, body_map}, it answered #{inspect(other)}")

  defp kind_name(:exit), do: "an exit"
  defp kind_name(:throw), do: "a throw"
  defp kind_name(:error), do: "an exception"
end
