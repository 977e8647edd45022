# Half-fix: stops after 3 attempts, but still retries a :bad_request and waits the same 500 ms every time.
defmodule Shipping.LabelClient do
  @moduledoc false
  require Logger

  @max_attempts 3

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)
    attempt(carrier, shipment, sleep, 1)
  end

  defp attempt(carrier, shipment, sleep, n) do
    case carrier.create_label(shipment) do
      {:ok, label} ->
        {:ok, label}

      {:error, reason} when n < @max_attempts ->
        Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}")
        sleep.(500)
        attempt(carrier, shipment, sleep, n + 1)

      {:error, reason} ->
        {:error, reason}
    end
  end
end
