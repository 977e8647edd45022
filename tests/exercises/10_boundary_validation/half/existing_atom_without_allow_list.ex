# Half-fix: no atom is ever created (String.to_existing_atom, its ArgumentError rescued), size first, [:safe] decode; but any atom that already exists is accepted as a status: "ok", "nil", "Elixir.File".
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

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
    {:ok, %{shipment_id: id, status: String.to_existing_atom(status)}}
  rescue
    ArgumentError -> {:error, {:unknown_status, status}}
  end

  def cast(_params), do: {:error, :invalid_payload}

  defp safe_binary_to_term(body) do
    {:ok, :erlang.binary_to_term(body, [:safe])}
  rescue
    ArgumentError -> :error
  end
end
