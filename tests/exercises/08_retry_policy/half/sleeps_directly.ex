# Half-fix: a good policy, but the waits go straight to Process.sleep/1: the :sleep option is ignored.
defmodule Shipping.LabelClient do
  @moduledoc false
  require Logger

  @max_attempts 3
  @base_delay_ms 200

  def create_label(carrier, shipment, opts \\ []) do
    _ = opts
    attempt(carrier, shipment, &Process.sleep/1, 1)
  end

  defp attempt(carrier, shipment, sleep, n) do
    case carrier.create_label(shipment) do
      {:ok, label} ->
        {:ok, label}

      {:error, reason} = error ->
        if transient?(reason) and n < @max_attempts do
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
