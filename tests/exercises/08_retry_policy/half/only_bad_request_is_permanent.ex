# Half-fix: 3 attempts with exponential backoff, but only :bad_request counts as permanent (:unauthorized, 4xx are still retried).
defmodule Shipping.LabelClient do
  @moduledoc false
  require Logger

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)
    attempt(carrier, shipment, sleep, 1)
  end

  defp attempt(carrier, shipment, sleep, n) do
    case carrier.create_label(shipment) do
      {:ok, label} ->
        {:ok, label}

      {:error, :bad_request} ->
        {:error, :bad_request}

      {:error, reason} when n < 3 ->
        Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}")
        sleep.(100 * Integer.pow(2, n))
        attempt(carrier, shipment, sleep, n + 1)

      {:error, reason} ->
        {:error, reason}
    end
  end
end
