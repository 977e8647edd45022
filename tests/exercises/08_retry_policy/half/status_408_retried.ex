# Half-fix (done means 2): a 408 (Request Timeout) is classed as transient, "a timeout after all": a 4xx other than 429 is retried.
defmodule Shipping.LabelClient do
  @moduledoc """
  Buys the shipping label for a packed parcel from the carrier.

  Options:
    * `:sleep` - waits between attempts: a function taking milliseconds
      (default `&Process.sleep/1`; tests pass their own so they never really wait)
  """
  require Logger

  @max_attempts 3
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
        if transient?(reason) and n < @max_attempts do
          delay = backoff(n)
          Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}, retrying in #{delay} ms")
          sleep.(delay)
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
  # 408 Request Timeout: the carrier timed out reading us, a timeout like any other.
  defp transient?({:http_status, 408}), do: true
  defp transient?({:http_status, status}) when status in 500..599, do: true
  defp transient?(_permanent), do: false
end
