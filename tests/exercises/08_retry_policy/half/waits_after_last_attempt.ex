# Half-fix: sleeps (with backoff) after every failure, so the caller also waits after the last attempt, for nothing.
defmodule Shipping.LabelClient do
  @moduledoc false
  require Logger

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)
    attempt(carrier, shipment, sleep, 1)
  end

  defp attempt(carrier, shipment, sleep, n) do
    with {:error, reason} = error <- carrier.create_label(shipment) do
      Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}")

      if transient?(reason) do
        sleep.(250 * n)
        if n < 3, do: attempt(carrier, shipment, sleep, n + 1), else: error
      else
        error
      end
    end
  end

  defp transient?({:http_status, status}), do: status == 429 or status >= 500
  defp transient?(reason), do: reason in [:timeout, :closed, :econnrefused]
end
