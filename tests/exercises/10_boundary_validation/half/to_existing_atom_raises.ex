# Half-fix: size first, [:safe] decode with its ArgumentError rescued, shape matched; but cast/1 uses String.to_existing_atom/1 unrescued, so a status nobody knows raises ArgumentError and crashes the consumer instead of being {:error, {:unknown_status, status}}.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  alias Tracking.Shipment

  def decode(body) when is_binary(body) and byte_size(body) > 65_536,
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
    atom = String.to_existing_atom(status)

    if atom in Shipment.statuses() do
      {:ok, %{shipment_id: id, status: atom}}
    else
      {:error, {:unknown_status, status}}
    end
  end

  def cast(_params), do: {:error, :invalid_payload}

  defp safe_binary_to_term(body) do
    {:ok, :erlang.binary_to_term(body, [:safe])}
  rescue
    ArgumentError -> :error
  end
end
