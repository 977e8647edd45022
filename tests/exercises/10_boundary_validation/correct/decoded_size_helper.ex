# Correct, another style: a helper answers how big the body will be once decoded (its own size, or for a compressed term the size its header declares, read with :erlang.binary_part/3 and :binary.decode_unsigned/1), one if compares that to the limit; statuses are looked up in a map built with a comprehension.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  alias Tracking.Shipment

  @limit 65_536
  # :erlang.term_to_binary(term, compressed: 9) starts with these two bytes, then the size the
  # term has once inflated, as 4 bytes; the VM refuses a body whose header lies about it.
  @compressed <<131, 80>>

  @statuses for status <- Shipment.statuses(), into: %{}, do: {Atom.to_string(status), status}

  def decode(body) when is_binary(body) do
    if decoded_size(body) > @limit do
      {:error, :payload_too_large}
    else
      case safe_binary_to_term(body) do
        {:ok, term} -> cast(term)
        :error -> {:error, :invalid_payload}
      end
    end
  end

  def cast(%{"shipment_id" => id, "status" => raw}) when is_binary(id) and is_binary(raw) do
    case @statuses do
      %{^raw => status} -> {:ok, %{shipment_id: id, status: status}}
      _unknown -> {:error, {:unknown_status, raw}}
    end
  end

  def cast(_params), do: {:error, :invalid_payload}

  defp decoded_size(body) when byte_size(body) >= 6 do
    case :erlang.binary_part(body, 0, 2) do
      @compressed -> max(byte_size(body), inflated_size(body))
      _plain -> byte_size(body)
    end
  end

  defp decoded_size(body), do: byte_size(body)

  defp inflated_size(body), do: :binary.decode_unsigned(:erlang.binary_part(body, 2, 4))

  defp safe_binary_to_term(body) do
    {:ok, :erlang.binary_to_term(body, [:safe])}
  rescue
    ArgumentError -> :error
  end
end
