# Correct, another style: a `with` for the happy path and a private classifier for errors.
defmodule Billing.Charger do
  @moduledoc "Charges an order through the payment provider, classifying its failures."
  require Logger

  def charge(provider, %{id: order_id, total_cents: amount}) do
    with {:ok, receipt} <- provider.charge(order_id, amount) do
      Logger.info("charged order #{order_id}: receipt #{receipt.id}")
      {:ok, receipt}
    else
      {:error, reason} -> classify(order_id, reason)
    end
  end

  defp classify(order_id, :timeout) do
    Logger.warning("provider timeout for #{order_id}")
    {:error, :dependency_timeout}
  end

  defp classify(order_id, reason) do
    Logger.warning("provider refused #{order_id}: #{inspect(reason)}")
    {:error, {:dependency_failed, reason}}
  end
end
