# Half-fix (done means 4): a 3 s / 6 s schedule (9 s) with hint 3's "up to a fifth more" jitter on top: up to 10.8 s in all, over the budget on some calls.
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

  # 3 s, then 6 s, each with up to a fifth more of jitter.
  defp backoff(n) do
    base = 3_000 * Integer.pow(2, n - 1)
    base + :rand.uniform(div(base, 5)) - 1
  end

  defp transient?(:timeout), do: true
  defp transient?(:closed), do: true
  defp transient?(:econnrefused), do: true
  defp transient?({:http_status, 429}), do: true
  
  defp transient?({:http_status, status}) when status in 500..599, do: true
  defp transient?(_permanent), do: false
end
