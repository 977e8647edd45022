# Half-fix (done means 1): when the attempts run out it returns the first failure it kept, not the last attempt's error.
defmodule Shipping.LabelClient do
  @moduledoc """
  Buys the shipping label for a packed parcel from the carrier.

  Options:
    * `:sleep` - waits between attempts: a function taking milliseconds
      (default `&Process.sleep/1`; tests pass their own so they never really wait)
  """
  require Logger

  @waits [200, 400]

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)
    attempt(carrier, shipment, sleep, @waits, nil)
  end

  # `first` keeps the failure that started the retries, the one worth reporting.
  defp attempt(carrier, shipment, sleep, waits, first) do
    case carrier.create_label(shipment) do
      {:ok, label} ->
        {:ok, label}

      {:error, reason} = error ->
        first = first || error

        cond do
          not transient?(reason) ->
            error

          waits == [] ->
            Logger.error("label for #{shipment.id}: out of attempts, first failure #{inspect(first)}")
            first

          true ->
            [wait | rest] = waits
            Logger.warning("label for #{shipment.id} failed: #{inspect(reason)}, retrying in #{wait} ms")
            sleep.(wait)
            attempt(carrier, shipment, sleep, rest, first)
        end
    end
  end

  defp transient?(reason) when reason in [:timeout, :closed, :econnrefused], do: true
  defp transient?({:http_status, 429}), do: true
  defp transient?({:http_status, status}) when status in 500..599, do: true
  defp transient?(_permanent), do: false
end
