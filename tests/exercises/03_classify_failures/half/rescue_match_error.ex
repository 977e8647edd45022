# Half-fix: keeps the starter's `{:ok, receipt} = ...` match and rescues only the MatchError it raises, classifying
# the error tuple it carries: a MatchError from a bug inside the client is classified too.
defmodule Billing.Charger do
  @moduledoc "Charges an order through the payment provider."
  require Logger

  def charge(provider, %{id: order_id, total_cents: amount}) do
    {:ok, receipt} = provider.charge(order_id, amount)
    Logger.info("charged order #{order_id}: receipt #{receipt.id}")
    {:ok, receipt}
  rescue
    error in MatchError ->
      case error.term do
        {:error, :timeout} -> {:error, :dependency_timeout}
        {:error, reason} -> {:error, {:dependency_failed, reason}}
      end
  end
end
