defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.

  The carrier gateway publishes one message per status change on the `carrier.status`
  queue, encoded with `:erlang.term_to_binary/1`:

      %{"shipment_id" => "shp_123", "status" => "in_transit"}

  The queue consumer calls `decode/1` on every message body; the webhook controller calls
  `cast/1` with the params it decoded from JSON. Both return:

    * `{:ok, %{shipment_id: id, status: status}}`, `status` one of `Tracking.Shipment.statuses/0`;
    * `{:error, :payload_too_large}` when the body is over 64 KiB (65_536 bytes), far more
      than the gateway ever sends, or is a compressed term whose header declares it decodes
      to more than that;
    * `{:error, :invalid_payload}` when the body is not a term we can decode safely, or not
      a map with string `"shipment_id"` and `"status"`;
    * `{:error, {:unknown_status, status}}` when the status string is not one we know.
  """

  alias Tracking.Shipment

  def decode(body) when is_binary(body) do
    body
    |> :erlang.binary_to_term()
    |> cast()
  end

  def cast(params) do
    status = String.to_atom(params["status"])

    if status in Shipment.statuses() do
      {:ok, %{shipment_id: params["shipment_id"], status: status}}
    else
      {:error, {:unknown_status, params["status"]}}
    end
  end
end
