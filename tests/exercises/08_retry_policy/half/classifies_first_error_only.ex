# Half-fix: decides once, from the first failure, whether the request is worth retrying; later failures are retried whatever they are.
defmodule Shipping.LabelClient do
  @moduledoc false
  require Logger

  @max_attempts 3
  @base_delay_ms 200

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)
    attempt(carrier, shipment, sleep, 1)
  end

  defp attempt(carrier, shipment, sleep, n) do
    case carrier.create_label(shipment) do
      {:error, reason} = error ->
        if transient?(reason), do: retry(carrier, shipment, sleep, n, error), else: error

      ok ->
        ok
    end
  end

  # The request is worth retrying: try again until the attempts run out.
  defp retry(_carrier, _shipment, _sleep, n, last) when n >= @max_attempts, do: last

  defp retry(carrier, shipment, sleep, n, last) do
    Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(last)}")
    sleep.(backoff(n))

    case carrier.create_label(shipment) do
      {:ok, label} -> {:ok, label}
      error -> retry(carrier, shipment, sleep, n + 1, error)
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
