defmodule Shipping.LabelClient do
  @moduledoc """
  Buys the shipping label for a packed parcel from the carrier.

  `carrier` is the carrier's API client (see `Shipping.Carrier`). The packing station calls
  `create_label/3` when a parcel is sealed and prints the label that comes back.

  Transient failures are retried, at most 3 attempts in all, with a growing wait between
  attempts; permanent refusals are returned at once, since asking again gets the same answer.

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

          Logger.warning(
            "label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}, retrying in #{delay} ms"
          )

          sleep.(delay)
          attempt(carrier, shipment, sleep, n + 1)
        else
          Logger.error(
            "label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}, giving up"
          )

          error
        end
    end
  end

  # 200 ms before the 2nd attempt, 400 ms before the 3rd.
  defp backoff(n), do: @base_delay_ms * Integer.pow(2, n - 1)

  defp transient?(:timeout), do: true
  defp transient?(:closed), do: true
  defp transient?(:econnrefused), do: true
  defp transient?({:http_status, 429}), do: true
  defp transient?({:http_status, status}) when status in 500..599, do: true
  defp transient?(_permanent), do: false
end
