# Another correct fix: the domain runs inside a small `run/1` that turns any failure into data;
# the known errors come from one table; the error id is a UUID v4; the request id is set as
# Logger metadata for every line of the request, and the stack is written frame by frame.
defmodule Shop.API do
  @moduledoc """
  The edge of the shop's HTTP API: `handle/2` answers `{status, body}` for a `POST /orders`.
  """
  require Logger

  @known %{
    :not_found => {404, "not_found"},
    :out_of_stock => {409, "out_of_stock"}
  }

  def handle(%{request_id: request_id, params: params}, place_order) do
    Logger.metadata(request_id: request_id)

    case run(fn -> place_order.(params) end) do
      {:ok, {:ok, order}} ->
        {201, %{"order_id" => order.id, "total_cents" => order.total_cents}}

      {:ok, {:error, {:validation, fields}}} ->
        {422, %{"error" => "validation_failed", "fields" => fields}}

      {:ok, {:error, reason}} when is_map_key(@known, reason) ->
        {status, error} = Map.fetch!(@known, reason)
        {status, %{"error" => error}}

      {:ok, other} ->
        internal(:error, {:unexpected_answer, kind_of(other)}, [])

      {:crashed, kind, reason, stack} ->
        internal(kind, reason, stack)
    end
  end

  defp run(fun) do
    {:ok, fun.()}
  catch
    kind, reason -> {:crashed, kind, reason, __STACKTRACE__}
  end

  defp internal(kind, reason, stack) do
    error_id = uuid4()
    Logger.error("internal failure: #{describe(kind, reason, stack)}#{frames(stack)}", error_id: error_id)

    if kind == :exit,
      do: {503, %{"error" => "unavailable", "error_id" => error_id}},
      else: {500, %{"error" => "internal_error", "error_id" => error_id}}
  end

  defp describe(:error, {:unexpected_answer, kind}, _stack), do: "the domain answered #{kind}"
  defp describe(:error, reason, stack), do: inspect(Exception.normalize(:error, reason, stack).__struct__)
  defp describe(:exit, {reason, {m, f, args}}, _stack) when is_list(args),
    do: "exit #{first_atom(reason)} from #{Exception.format_mfa(m, f, length(args))}"

  defp describe(:exit, reason, _stack), do: "exit #{first_atom(reason)}"
  defp describe(:throw, _value, _stack), do: "throw"

  defp first_atom(reason) when is_atom(reason), do: inspect(reason)
  defp first_atom(reason) when is_tuple(reason) and tuple_size(reason) > 0, do: first_atom(elem(reason, 0))
  defp first_atom(_reason), do: "(a term)"

  defp kind_of(term) when is_tuple(term) and tuple_size(term) > 0, do: "a tuple tagged #{first_atom(elem(term, 0))}"
  defp kind_of(term) when is_atom(term), do: inspect(term)
  defp kind_of(_term), do: "a term outside its contract"

  defp frames(stack) do
    Enum.map(stack, fn
      {m, f, args, location} ->
        arity = if is_list(args), do: length(args), else: args
        where = if location[:file], do: "#{location[:file]}:#{location[:line]}: ", else: ""
        "\n    " <> where <> Exception.format_mfa(m, f, arity)

      _other ->
        ""
    end)
  end

  defp uuid4 do
    <<a::48, _::4, b::12, _::2, c::62>> = :crypto.strong_rand_bytes(16)
    hex = Base.encode16(<<a::48, 4::4, b::12, 2::2, c::62>>, case: :lower)

    <<p1::binary-8, p2::binary-4, p3::binary-4, p4::binary-4, p5::binary-12>> = hex
    Enum.join([p1, p2, p3, p4, p5], "-")
  end
end
