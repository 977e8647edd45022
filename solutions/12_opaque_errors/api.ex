defmodule Shop.API do
  @moduledoc """
  The edge of the shop's HTTP API: the router hands each `POST /orders` to `handle/2`, and
  the `{status, body}` it returns goes to the client as it is, the body encoded as JSON.

  `request` is `%{request_id: id, params: params}`: the id the router gave the request, and
  the params as the client sent them, card details included. `place_order` is the domain
  (`&Shop.Orders.place/1` in production; see `Shop.Orders` for what it answers), passed in
  so that tests can replace it. The answers:

    * an order placed: `201`, `%{"order_id" => id, "total_cents" => total}`;
    * `{:error, :not_found}`: `404`, `%{"error" => "not_found"}`;
    * `{:error, {:validation, fields}}`: `422`, `%{"error" => "validation_failed", "fields" => fields}`;
    * `{:error, :out_of_stock}`: `409`, `%{"error" => "out_of_stock"}`.

  A crash in the domain (a raise, a throw, an answer outside its contract) is `500` and an
  exit (a call that timed out, a server that is down) is `503`; either body holds a stable
  error and an opaque error id, nothing else. The log line with the same id says what failed
  and where, and holds no params.
  """
  require Logger

  def handle(%{request_id: request_id, params: params}, place_order) do
    case place_order.(params) do
      {:ok, order} ->
        {201, %{"order_id" => order.id, "total_cents" => order.total_cents}}

      {:error, :not_found} ->
        {404, %{"error" => "not_found"}}

      {:error, {:validation, fields}} ->
        {422, %{"error" => "validation_failed", "fields" => fields}}

      {:error, :out_of_stock} ->
        {409, %{"error" => "out_of_stock"}}
    end
  catch
    kind, reason ->
      error_id = :crypto.strong_rand_bytes(16) |> Base.encode16(case: :lower)

      Logger.error(
        [
          "unhandled ",
          failure(kind, reason, __STACKTRACE__),
          "\n",
          without_arguments(__STACKTRACE__)
        ],
        request_id: request_id,
        error_id: error_id
      )

      case kind do
        :exit -> {503, %{"error" => "unavailable", "error_id" => error_id}}
        _ -> {500, %{"error" => "internal_error", "error_id" => error_id}}
      end
  end

  # The exception's module, or the exit's tag and the call it came from: never the terms inside them.
  defp failure(:error, reason, stack),
    do: inspect(Exception.normalize(:error, reason, stack).__struct__)

  defp failure(:exit, {tag, {m, f, args}}, _stack) when is_list(args),
    do: "exit #{tag(tag)} in #{inspect(m)}.#{f}/#{length(args)}"

  defp failure(kind, reason, _stack), do: "#{kind} #{tag(reason)}"

  defp tag(reason) when is_atom(reason), do: inspect(reason)
  defp tag(reason) when is_tuple(reason) and tuple_size(reason) > 0, do: tag(elem(reason, 0))
  defp tag(_reason), do: "(a term)"

  # Frames keep their function and arity; the arguments some frames carry (a FunctionClauseError's) go.
  defp without_arguments(stack) do
    stack
    |> Enum.map(fn
      {m, f, args, location} when is_list(args) -> {m, f, length(args), location}
      frame -> frame
    end)
    |> Exception.format_stacktrace()
  end
end
