# Half-fix: right limit and classification, but "full jitter" (a random wait from 1 ms up to the cap) lets a later wait be shorter.
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

      {:error, reason} = error ->
        if n < 3 and transient?(reason) do
          Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}")
          sleep.(:rand.uniform(200 * Integer.pow(2, n - 1)))
          attempt(carrier, shipment, sleep, n + 1)
        else
          error
        end
    end
  end

  defp transient?({:http_status, status}), do: status == 429 or status in 500..599
  defp transient?(reason), do: reason in [:timeout, :closed, :econnrefused]
end
