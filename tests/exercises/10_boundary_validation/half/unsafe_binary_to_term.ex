# Half-fix: allow-list and size check, but :erlang.binary_to_term/1 without [:safe]: every atom a message carries is created.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  @statuses Map.new(Tracking.Shipment.statuses(), &{Atom.to_string(&1), &1})

  def decode(body) when byte_size(body) > 65_536, do: {:error, :payload_too_large}

  def decode(<<131, 80, decoded_size::32, _::binary>>) when decoded_size > 65_536,
    do: {:error, :payload_too_large}

  def decode(body) when is_binary(body) do
    body |> :erlang.binary_to_term() |> cast()
  rescue
    ArgumentError -> {:error, :invalid_payload}
  end

  def cast(%{"shipment_id" => id, "status" => status}) when is_binary(id) and is_binary(status) do
    case Map.fetch(@statuses, status) do
      {:ok, atom} -> {:ok, %{shipment_id: id, status: atom}}
      :error -> {:error, {:unknown_status, status}}
    end
  end

  def cast(_params), do: {:error, :invalid_payload}
end
