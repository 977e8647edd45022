# Correct, different style: Enum.reduce_while over a fixed schedule of waits, with "equal jitter" (half fixed, half random).
defmodule Shipping.LabelClient do
  @moduledoc """
  Buys the shipping label for a packed parcel from the carrier, retrying transient failures.
  """
  require Logger

  # The wait before each attempt: none before the first.
  @schedule [0, 300, 600]

  @transient [:timeout, :closed, :econnrefused]

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)

    Enum.reduce_while(@schedule, nil, fn wait, _last ->
      if wait > 0, do: sleep.(jitter(wait))

      case carrier.create_label(shipment) do
        {:ok, label} ->
          {:halt, {:ok, label}}

        {:error, reason} = error ->
          Logger.warning("label for #{shipment.id} failed: #{inspect(reason)}")
          if retryable?(reason), do: {:cont, error}, else: {:halt, error}
      end
    end)
  end

  # 151..300 ms, then 301..600 ms: random, yet never shorter than the wait before.
  defp jitter(wait), do: div(wait, 2) + :rand.uniform(div(wait, 2))

  defp retryable?(reason) when reason in @transient, do: true
  defp retryable?({:http_status, status}), do: status == 429 or status >= 500
  defp retryable?(_reason), do: false
end
