# Correct, different style: a generic retry/3 helper driven by a policy map and a classifier function, backoff from a Stream.
defmodule Shipping.LabelClient do
  @moduledoc """
  Buys the shipping label for a packed parcel from the carrier, retrying transient failures.
  """
  require Logger

  @policy %{max_attempts: 3, first_wait_ms: 100, factor: 3}

  def create_label(carrier, shipment, opts \\ []) do
    sleep = Keyword.get(opts, :sleep, &Process.sleep/1)

    retry(fn -> carrier.create_label(shipment) end, &classify/1, sleep)
  end

  defp retry(request, classify, sleep) do
    waits =
      @policy.first_wait_ms
      |> Stream.iterate(&(&1 * @policy.factor))
      |> Enum.take(@policy.max_attempts - 1)

    do_retry(request, classify, sleep, waits)
  end

  defp do_retry(request, classify, sleep, waits) do
    result = request.()

    case {classify.(result), waits} do
      {:retry, [wait | later]} ->
        Logger.warning("carrier call failed (#{inspect(result)}), retrying in #{wait} ms")
        sleep.(wait)
        do_retry(request, classify, sleep, later)

      {_done_or_out_of_attempts, _waits} ->
        result
    end
  end

  defp classify({:ok, _label}), do: :done
  defp classify({:error, {:http_status, 429}}), do: :retry
  defp classify({:error, {:http_status, status}}) when status >= 500, do: :retry
  defp classify({:error, reason}) when reason in [:timeout, :closed, :econnrefused], do: :retry
  defp classify({:error, _permanent}), do: :done
end
