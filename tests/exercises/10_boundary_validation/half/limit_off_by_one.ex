# Half-fix: everything in place, but the size guard is `>= 65_536`: a body of exactly 65,536 bytes, within the limit, is refused.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  @max_body_bytes 64 * 1024
  @statuses Map.new(Tracking.Shipment.statuses(), &{Atom.to_string(&1), &1})

  def decode(body) when is_binary(body) and byte_size(body) >= @max_body_bytes,
    do: {:error, :payload_too_large}

  def decode(<<131, 80, decoded_size::32, _::binary>>) when decoded_size > 65_536,
    do: {:error, :payload_too_large}

  def decode(body) when is_binary(body) do
    case safe_binary_to_term(body) do
      {:ok, term} -> cast(term)
      :error -> {:error, :invalid_payload}
    end
  end

  def cast(%{"shipment_id" => id, "status" => status}) when is_binary(id) and is_binary(status) do
    case Map.fetch(@statuses, status) do
      {:ok, atom} -> {:ok, %{shipment_id: id, status: atom}}
      :error -> {:error, {:unknown_status, status}}
    end
  end

  def cast(_params), do: {:error, :invalid_payload}

  defp safe_binary_to_term(body) do
    {:ok, :erlang.binary_to_term(body, [:safe])}
  rescue
    ArgumentError -> :error
  end
end
