defmodule Checkout do
  @moduledoc """
  Handles one checkout request: scores it for fraud while it prices the cart, then charges the card.

  `request` is `%{id: "req_...", card: "tok_...", cart: [%{price_cents: 1_250, qty: 2}, ...]}`;
  `deps` names the providers: `payments:` (a `Checkout.Payments`) and `fraud:` (a `Checkout.Fraud`).
  """
  require Logger

  @fraud_threshold 80

  @doc "Returns `{:ok, charge_id}`, `{:error, :fraud_suspected}` or the payment provider's `{:error, reason}`."
  def handle(request, deps) do
    started = System.system_time(:millisecond)
    fraud_check = Task.async(fn -> fraud_score(request, deps[:fraud]) end)
    total = Enum.sum(for item <- request.cart, do: item.price_cents * item.qty)

    result =
      if Task.await(fraud_check) >= @fraud_threshold,
        do: {:error, :fraud_suspected},
        else: deps[:payments].charge(total, request.card)

    ms = System.system_time(:millisecond) - started
    IO.puts("checkout #{request.id} took #{ms}ms: #{inspect(result)}")
    result
  end

  defp fraud_score(request, fraud) do
    score = fraud.score(request)
    Logger.info("checkout #{request.id}: fraud score #{score}")
    score
  end
end
