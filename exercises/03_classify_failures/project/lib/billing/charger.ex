defmodule Billing.Charger do
  @moduledoc """
  Charges an order through the payment provider.

  `provider` is the client module that talks to the provider (see `Billing.Provider`).
  Checkout calls `charge/2` and shows the customer whatever it returns.
  """
  require Logger

  def charge(provider, %{id: order_id, total_cents: amount}) do
    try do
      {:ok, receipt} = provider.charge(order_id, amount)
      Logger.info("charged order #{order_id}: receipt #{receipt.id}")
      {:ok, receipt}
    rescue
      _ -> :ok
    end
  end
end
