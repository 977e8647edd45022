# Half-fix: size first, [:safe] decode, allow-list lookup; but only the status is matched: a message without a string "shipment_id" is accepted with whatever is there (nil, 7).
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
    case safe_binary_to_term(body) do
      {:ok, term} -> cast(term)
      :error -> {:error, :invalid_payload}
    end
  end

  def cast(%{"status" => status} = params) when is_binary(status) do
    case Map.fetch(@statuses, status) do
      {:ok, atom} -> {:ok, %{shipment_id: params["shipment_id"], status: atom}}
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
