defmodule Shipping.Carrier do
  @moduledoc """
  The contract of a carrier API client: the outbound dependency `Shipping.LabelClient` calls.

  `create_label/1` answers `{:ok, label}` when the carrier created the label, or
  `{:error, reason}` when it did not. The reasons fall into two kinds:

    * transient: the carrier or the network had a hiccup and the same request may well
      succeed a moment later: `:timeout`, `:closed`, `:econnrefused`,
      `{:http_status, 429}` (rate limited) and `{:http_status, status}` for any 5xx status;
    * permanent: the carrier understood the request and refused it, and sending it again
      gets the same answer: `:bad_request`, `:unauthorized`, `:invalid_address` and
      `{:http_status, status}` for any other 4xx status.

  A client that raises has a bug: that is not a carrier failure.
  """

  @type shipment :: %{required(:id) => String.t(), optional(atom) => term}
  @type label :: %{required(:tracking_number) => String.t(), optional(atom) => term}

  @type transient :: :timeout | :closed | :econnrefused | {:http_status, 429 | 500..599}
  @type permanent :: :bad_request | :unauthorized | :invalid_address | {:http_status, 400..499}

  @callback create_label(shipment) :: {:ok, label} | {:error, transient | permanent}
end
