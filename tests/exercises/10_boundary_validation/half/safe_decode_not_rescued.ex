# Half-fix: size first, allow-list lookup, shape matched, and :erlang.binary_to_term(body, [:safe]); but its ArgumentError is left to crash the caller ("let it crash"), so a garbage body or one carrying a new atom raises instead of being {:error, :invalid_payload}.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  @statuses Map.new(Tracking.Shipment.statuses(), &{Atom.to_string(&1), &1})

  def decode(body) when is_binary(body) and byte_size(body) > 65_536,
    do: {:error, :payload_too_large}

  def decode(<<131, 80, decoded_size::32, _::binary>>) when decoded_size > 65_536,
    do: {:error, :payload_too_large}

  def decode(body) when is_binary(body) do
    body |> :erlang.binary_to_term([:safe]) |> cast()
  end

  def cast(%{"shipment_id" => id, "status" => status}) when is_binary(id) and is_binary(status) do
    case Map.fetch(@statuses, status) do
      {:ok, atom} -> {:ok, %{shipment_id: id, status: atom}}
      :error -> {:error, {:unknown_status, status}}
    end
  end

  def cast(_params), do: {:error, :invalid_payload}
end
