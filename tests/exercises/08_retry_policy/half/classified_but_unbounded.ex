# Half-fix: retries only transient failures, with a growing wait, but never counts the attempts: a carrier that stays down is asked for ever.
defmodule Shipping.LabelClient do
  @moduledoc false
  require Logger

  @base_delay_ms 200

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)
    attempt(carrier, shipment, sleep, 1)
  end

  defp attempt(carrier, shipment, sleep, n) do
    case carrier.create_label(shipment) do
      {:ok, label} ->
        {:ok, label}

      {:error, reason} = error ->
        if transient?(reason) do
          Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}")
          sleep.(backoff(n))
          attempt(carrier, shipment, sleep, n + 1)
        else
          error
        end
    end
  end

  defp backoff(n), do: @base_delay_ms * Integer.pow(2, n - 1)

  defp transient?(:timeout), do: true
  defp transient?(:closed), do: true
  defp transient?(:econnrefused), do: true
  defp transient?({:http_status, 429}), do: true
  defp transient?({:http_status, status}) when status in 500..599, do: true
  defp transient?(_permanent), do: false
end
