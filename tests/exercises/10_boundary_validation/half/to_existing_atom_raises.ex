# Half-fix: size check and [:safe] decode, but String.to_existing_atom without a rescue: an unknown status raises ArgumentError and crashes the consumer.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  alias Tracking.Shipment

  def decode(body) when is_binary(body) do
    if byte_size(body) > 65_536 do
      {:error, :payload_too_large}
    else
      body |> :erlang.binary_to_term([:safe]) |> cast()
    end
  end

  def cast(params) do
    status = String.to_existing_atom(params["status"])

    if status in Shipment.statuses() do
      {:ok, %{shipment_id: params["shipment_id"], status: status}}
    else
      {:error, {:unknown_status, params["status"]}}
    end
  end
end
