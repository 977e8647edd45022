defmodule Billing.Charger do
  @moduledoc """
  Charges an order through the payment provider.

  `provider` is the client module that talks to the provider (see `Billing.Provider`).
  Checkout calls `charge/2` and shows the customer whatever it returns.
  """
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
  end
end
