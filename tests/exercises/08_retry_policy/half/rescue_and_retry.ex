# Half-fix: a good retry policy, but wrapped in a rescue that also retries exceptions (bugs) and hides them as {:error, ...}.
defmodule Shipping.LabelClient do
  @moduledoc false
  require Logger

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)
    attempt(carrier, shipment, sleep, 1)
  end

  defp attempt(carrier, shipment, sleep, n) do
    result =
      try do
        carrier.create_label(shipment)
      rescue
        exception -> {:error, {:exception, exception}}
      end

    case result do
      {:ok, label} ->
        {:ok, label}

      {:error, reason} = error ->
        if n < 3 and retryable?(reason) do
          Logger.warning("label for #{shipment.id} failed on attempt #{n}: #{inspect(reason)}")
          sleep.(200 * Integer.pow(2, n - 1))
          attempt(carrier, shipment, sleep, n + 1)
        else
          error
        end
    end
  end

  defp retryable?({:exception, _}), do: true
  defp retryable?({:http_status, status}), do: status == 429 or status >= 500
  defp retryable?(reason), do: reason in [:timeout, :closed, :econnrefused]
end
