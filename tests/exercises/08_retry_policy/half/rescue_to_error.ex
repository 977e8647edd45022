# Half-fix: a good policy that also guards against a crashing client: the exception becomes an {:error, _} and never reaches the caller.
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
    case safe_create_label(carrier, shipment) do
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

  defp safe_create_label(carrier, shipment) do
    carrier.create_label(shipment)
  rescue
    exception -> {:error, {:client_crashed, Exception.message(exception)}}
  end

  defp backoff(n), do: @base_delay_ms * Integer.pow(2, n - 1)

  defp transient?(:timeout), do: true
  defp transient?(:closed), do: true
  defp transient?(:econnrefused), do: true
  defp transient?({:http_status, 429}), do: true
  defp transient?({:http_status, status}) when status in 500..599, do: true
  defp transient?(_permanent), do: false
end
