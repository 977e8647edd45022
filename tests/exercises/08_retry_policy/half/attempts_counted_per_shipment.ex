# Half-fix (done means 1): attempts are counted per shipment id in the process dictionary and never reset: the same parcel asked for again gets no retries.
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
    attempt(carrier, shipment, sleep)
  end

  defp attempt(carrier, shipment, sleep) do
    n = Process.get({:label_attempts, shipment.id}, 0) + 1
    Process.put({:label_attempts, shipment.id}, n)

    case carrier.create_label(shipment) do
      {:ok, label} ->
        {:ok, label}

      {:error, reason} = error ->
        if transient?(reason) and n < @max_attempts do
          delay = @base_delay_ms * Integer.pow(2, n - 1)
          Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}")
          sleep.(delay)
          attempt(carrier, shipment, sleep)
        else
          error
        end
    end
  end

  defp transient?(reason) when reason in [:timeout, :closed, :econnrefused], do: true
  defp transient?({:http_status, 429}), do: true
  defp transient?({:http_status, status}) when status in 500..599, do: true
  defp transient?(_permanent), do: false
end
