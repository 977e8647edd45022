# Another correct fix: a clause per kind (rescue for exceptions, catch for exits and throws),
# a URL-safe base64 error id, and everything logged as text, no Logger metadata.
defmodule Shop.API do
  @moduledoc """
  The edge of the shop's HTTP API: `handle/2` answers `{status, body}` for a `POST /orders`.
  A crash is 500, an exit 503; the body holds a stable error and an error id, the log the rest.
  """
  require Logger

  def handle(%{request_id: request_id, params: params}, place_order) do
    place_order.(params) |> answer()
  rescue
    exception ->
      crashed(request_id, inspect(exception.__struct__), __STACKTRACE__, 500, "internal_error")
  catch
    :exit, reason ->
      crashed(request_id, "exit #{exit_tag(reason)}", __STACKTRACE__, 503, "unavailable")

    :throw, _value ->
      crashed(request_id, "throw", __STACKTRACE__, 500, "internal_error")
  end

  defp answer({:ok, order}), do: {201, %{"order_id" => order.id, "total_cents" => order.total_cents}}
  defp answer({:error, :not_found}), do: {404, %{"error" => "not_found"}}

  defp answer({:error, {:validation, fields}}),
    do: {422, %{"error" => "validation_failed", "fields" => fields}}

  defp answer({:error, :out_of_stock}), do: {409, %{"error" => "out_of_stock"}}

  defp crashed(request_id, what, stack, status, error) do
    error_id = Base.url_encode64(:crypto.strong_rand_bytes(12), padding: false)

    Logger.error(
      "request #{request_id} failed, error_id=#{error_id}: #{what}\n" <>
        Exception.format_stacktrace(Enum.map(stack, &arity_only/1))
    )

    {status, %{"error" => error, "error_id" => error_id}}
  end

  defp exit_tag({reason, {_m, _f, _args}}), do: exit_tag(reason)
  defp exit_tag(reason) when is_atom(reason), do: inspect(reason)
  defp exit_tag(reason) when is_tuple(reason) and tuple_size(reason) > 0, do: exit_tag(elem(reason, 0))
  defp exit_tag(_reason), do: "(a term)"

  defp arity_only({m, f, args, location}) when is_list(args), do: {m, f, length(args), location}
  defp arity_only(frame), do: frame
end
