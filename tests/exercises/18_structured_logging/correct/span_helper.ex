defmodule Checkout do
  @moduledoc """
  Handles one checkout request: scores it for fraud while it prices the cart, then charges the card.

  This design wraps the request in a span that restores the caller's Logger metadata afterwards,
  emits the stop event from an `after` (so a crash emits one too, with `result: :crashed`,
  and the exception goes on), and starts the task through a helper that copies the metadata.
  """
  require Logger

  @fraud_threshold 80
  @event [:checkout, :request]

  def handle(request, deps) do
    span(request.id, fn -> checkout(request, deps) end)
  end

  defp span(request_id, fun) do
    previous = Logger.metadata()
    Logger.metadata(request_id: request_id)
    started = System.monotonic_time()
    result_ref = make_ref()
    # Stays :crashed unless fun returns: OTP's crash report logs the exception itself.
    Process.put(result_ref, :crashed)

    try do
      result = fun.()
      Process.put(result_ref, result)
      result
    after
      duration = System.monotonic_time() - started
      result = Process.delete(result_ref)
      Checkout.Events.emit(@event ++ [:stop], %{duration: duration}, %{request_id: request_id, result: result})
      log_result(result, duration)
      Logger.reset_metadata(previous)
    end
  end

  defp log_result({:ok, _charge_id}, duration),
    do: Logger.info("checkout done", duration_us: System.convert_time_unit(duration, :native, :microsecond))

  defp log_result({:error, reason}, _duration), do: Logger.error("checkout refused: #{inspect(reason)}")
  defp log_result(_other, _duration), do: :ok

  defp checkout(request, deps) do
    fraud_check = async_with_metadata(fn -> deps[:fraud].score(request) end)
    total = Enum.sum(for item <- request.cart, do: item.price_cents * item.qty)

    if Task.await(fraud_check) >= @fraud_threshold,
      do: {:error, :fraud_suspected},
      else: deps[:payments].charge(total, request.card)
  end

  # Logger metadata is per process: hand the caller's to the task.
  defp async_with_metadata(fun) do
    metadata = Logger.metadata()

    Task.async(fn ->
      Logger.metadata(metadata)
      score = fun.()
      Logger.info("fraud score #{score}")
      score
    end)
  end
end
