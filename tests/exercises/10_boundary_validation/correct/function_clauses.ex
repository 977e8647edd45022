# Correct, another style: one generated function clause per known status, and the size limits as guards in decode/1's first clauses (the body's own size, then the size a compressed body declares).
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  @max_body_bytes 64 * 1024

  def decode(body) when byte_size(body) > @max_body_bytes, do: {:error, :payload_too_large}

  def decode(<<131, 80, inflated::32, _::binary>>) when inflated > @max_body_bytes,
    do: {:error, :payload_too_large}

  def decode(body) when is_binary(body) do
    body |> :erlang.binary_to_term([:safe]) |> cast()
  rescue
    ArgumentError -> {:error, :invalid_payload}
  end

  def cast(%{"shipment_id" => id, "status" => status}) when is_binary(id) and is_binary(status) do
    case to_status(status) do
      nil -> {:error, {:unknown_status, status}}
      atom -> {:ok, %{shipment_id: id, status: atom}}
    end
  end

  def cast(_other), do: {:error, :invalid_payload}

  for status <- Tracking.Shipment.statuses() do
    defp to_status(unquote(Atom.to_string(status))), do: unquote(status)
  end

  defp to_status(_unknown), do: nil
end
