# Half-fix: `catch kind, reason` catches exits too, but every failure is answered 500 internal_error: an exit (the dependency is unavailable) is not told apart.
defmodule Shop.API do
  @moduledoc """
  The edge of the shop's HTTP API. See the exercise for the full contract.
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

      {500, %{"error" => "internal_error", "error_id" => error_id}}
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
