defmodule Shipping.LabelClient do
  @moduledoc """
  Buys the shipping label for a packed parcel from the carrier.

  `carrier` is the carrier's API client (see `Shipping.Carrier`). The packing station calls
  `create_label/3` when a parcel is sealed and prints the label that comes back.

  Options:
    * `:sleep` - waits between attempts: a function taking milliseconds
      (default `&Process.sleep/1`; tests pass their own so they never really wait)
  """
  require Logger

  @retry_delay_ms 500

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)
    attempt(carrier, shipment, sleep, 1)
  end

  # The carrier's API has hiccups, so keep trying until it hands us a label.
  defp attempt(carrier, shipment, sleep, n) do
    case carrier.create_label(shipment) do
      {:ok, label} ->
        {:ok, label}

      {:error, reason} ->
        Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}")
        sleep.(@retry_delay_ms)
        attempt(carrier, shipment, sleep, n + 1)
    end
  end
end
