# Half-fix: classifies the error tuples but still rescues everything, so bugs are hidden.
defmodule Billing.Charger do
  @moduledoc "Charges an order through the payment provider."

  def charge(provider, %{id: order_id, total_cents: amount}) do
    case provider.charge(order_id, amount) do
      {:ok, receipt} -> {:ok, receipt}
      {:error, :timeout} -> {:error, :dependency_timeout}
      {:error, reason} -> {:error, {:dependency_failed, reason}}
    end
  rescue
    error -> {:error, {:dependency_failed, error}}
  end
end
