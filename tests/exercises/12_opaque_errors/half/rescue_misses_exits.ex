# Half-fix: the body and the log are right, but it still uses `rescue`, which catches exceptions only: an exit (a GenServer.call timeout, a dead server) or a throw goes through.
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
  rescue
    exception ->
      error_id = :crypto.strong_rand_bytes(16) |> Base.encode16(case: :lower)

      Logger.error(
        ["unhandled ", inspect(exception.__struct__), "\n", without_arguments(__STACKTRACE__)],
        request_id: request_id,
        error_id: error_id
      )

      {500, %{"error" => "internal_error", "error_id" => error_id}}
  end

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
