# Half-fix: no rescue, but the general `{:error, reason}` clause comes before `{:error, :timeout}`, so a timeout
# is reported as a refusal.
defmodule Billing.Charger do
  @moduledoc "Charges an order through the payment provider."
  require Logger

  def charge(provider, %{id: order_id, total_cents: amount}) do
    case provider.charge(order_id, amount) do
      {:ok, receipt} ->
        Logger.info("charged order #{order_id}: receipt #{receipt.id}")
        {:ok, receipt}

      {:error, reason} ->
        Logger.warning("payment provider refused order #{order_id}: #{inspect(reason)}")
        {:error, {:dependency_failed, reason}}

      {:error, :timeout} ->
        Logger.warning("payment provider timed out charging order #{order_id}")
        {:error, :dependency_timeout}
    end
  end
end
