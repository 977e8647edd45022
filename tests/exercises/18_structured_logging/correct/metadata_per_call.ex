defmodule Checkout do
  @moduledoc """
  Handles one checkout request: scores it for fraud while it prices the cart, then charges the card.

  This design leaves the process's Logger metadata alone and passes `request_id: id` with every
  log call, in the task as in the request process.
  """
  require Logger

  @fraud_threshold 80

  def handle(request, deps) do
    started = System.monotonic_time()
    fraud_check = Task.async(fn -> fraud_score(request, deps[:fraud]) end)
    total = Enum.sum(for item <- request.cart, do: item.price_cents * item.qty)

    result =
      if Task.await(fraud_check) >= @fraud_threshold,
        do: {:error, :fraud_suspected},
        else: deps[:payments].charge(total, request.card)

    duration = System.monotonic_time() - started
    Checkout.Events.emit([:checkout, :request, :stop], %{duration: duration}, %{request_id: request.id, result: result})

    case result do
      {:ok, _charge_id} -> Logger.info("checkout succeeded", request_id: request.id, duration: duration)
      {:error, reason} -> Logger.error("checkout failed: #{inspect(reason)}", request_id: request.id)
    end

    result
  end

  defp fraud_score(request, fraud) do
    score = fraud.score(request)
    Logger.debug("fraud score #{score}", request_id: request.id)
    score
  end
end
