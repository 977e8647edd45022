# Half-fix (done means 3): every reason that sounds like a timeout (:etimedout, :connect_timeout, ...) is turned into :dependency_timeout, so those refusals lose the provider's reason.
defmodule Billing.Charger do
  @moduledoc "Charges an order through the payment provider."
  require Logger

  # Every way a network call can run out of time counts as a timeout.
  @timeouts [:timeout, :etimedout, :checkout_timeout, :connect_timeout]

  def charge(provider, %{id: order_id, total_cents: amount}) do
    case provider.charge(order_id, amount) do
      {:ok, receipt} ->
        Logger.info("charged order #{order_id}: receipt #{receipt.id}")
        {:ok, receipt}

      {:error, reason} when reason in @timeouts ->
        {:error, :dependency_timeout}

      {:error, reason} ->
        {:error, {:dependency_failed, reason}}
    end
  end
end
