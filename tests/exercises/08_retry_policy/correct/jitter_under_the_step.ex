# Correct, different style: a tail-recursive loop over the attempts left, exponential waits with jitter kept under the step (every wait stays longer than the one before), the classification in a map of statuses.
defmodule Shipping.LabelClient do
  @moduledoc false
  require Logger

  @attempts 3
  @first_wait_ms 250
  @transient [:timeout, :closed, :econnrefused]

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)
    try_label(carrier, shipment, sleep, @attempts - 1, @first_wait_ms)
  end

  defp try_label(carrier, shipment, sleep, retries_left, wait) do
    with {:error, reason} = error <- carrier.create_label(shipment) do
      cond do
        retries_left == 0 ->
          Logger.error("no label for #{shipment.id}: #{inspect(reason)}, out of attempts")
          error

        not retry?(reason) ->
          Logger.error("no label for #{shipment.id}: #{inspect(reason)}, not worth a retry")
          error

        true ->
          # Up to a fifth of the wait added at random: still shorter than the next wait.
          jittered = wait + :rand.uniform(div(wait, 5)) - 1
          Logger.warning("label for #{shipment.id}: #{inspect(reason)}, retrying in #{jittered} ms")
          sleep.(jittered)
          try_label(carrier, shipment, sleep, retries_left - 1, wait * 2)
      end
    end
  end

  defp retry?(reason) when reason in @transient, do: true
  defp retry?({:http_status, 429}), do: true
  defp retry?({:http_status, status}) when is_integer(status), do: div(status, 100) == 5
  defp retry?(_permanent), do: false
end
