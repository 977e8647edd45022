# Half-fix: surfaces the timeout but lumps every other refusal into one generic error.
defmodule Billing.Charger do
  @moduledoc "Charges an order through the payment provider."

  def charge(provider, %{id: order_id, total_cents: amount}) do
    case provider.charge(order_id, amount) do
      {:ok, receipt} -> {:ok, receipt}
      {:error, :timeout} -> {:error, :dependency_timeout}
      {:error, _reason} -> {:error, :failed}
    end
  end
end
