# Half-fix: everything in place, but a map with any key that is not a string is refused with {:error, :invalid_payload}: other keys are to be ignored, whatever their type.
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

  @max_body_bytes 65_536

  # Built once, at compile time, from the domain's own list: the only strings we accept.
  @statuses Map.new(Shipment.statuses(), &{Atom.to_string(&1), &1})

  def decode(body) when is_binary(body) and byte_size(body) > @max_body_bytes do
    {:error, :payload_too_large}
  end

  # A compressed term (`:erlang.term_to_binary(term, compressed: 9)`) declares in its header
  # how big it is once inflated, and the VM refuses one whose header lies: a 10 KB body can
  # declare, and decode to, 80 MB. Refuse it by the size it declares, before inflating it.
  def decode(<<131, 80, decoded_size::32, _::binary>>) when decoded_size > @max_body_bytes do
    {:error, :payload_too_large}
  end

  def decode(body) when is_binary(body) do
    case safe_binary_to_term(body) do
      {:ok, params} -> cast(params)
      :error -> {:error, :invalid_payload}
    end
  end

  def cast(%{"shipment_id" => shipment_id, "status" => status} = params)
      when is_binary(shipment_id) and is_binary(status) do
    if Enum.all?(Map.keys(params), &is_binary/1), do: lookup(shipment_id, status), else: {:error, :invalid_payload}
  end

  def cast(_params), do: {:error, :invalid_payload}

  defp lookup(shipment_id, status) do
    case Map.fetch(@statuses, status) do
      {:ok, status} -> {:ok, %{shipment_id: shipment_id, status: status}}
      :error -> {:error, {:unknown_status, status}}
    end
  end

  # [:safe] refuses terms that would create atoms (or external funs); the ArgumentError it
  # raises for those, and for bytes that are not a term at all, is expected input here.
  defp safe_binary_to_term(body) do
    {:ok, :erlang.binary_to_term(body, [:safe])}
  rescue
    ArgumentError -> :error
  end
end
