# Half-fix: classifies the three answers, and rescues only RuntimeError, "the connection errors the HTTP
# library raises": a plain `raise "..."` bug in the client becomes a dependency failure.
defmodule Billing.Charger do
  @moduledoc "Charges an order through the payment provider."
  require Logger

  def charge(provider, %{id: order_id, total_cents: amount}) do
    case provider.charge(order_id, amount) do
      {:ok, receipt} ->
        Logger.info("charged order #{order_id}: receipt #{receipt.id}")
        {:ok, receipt}

      {:error, :timeout} ->
        {:error, :dependency_timeout}

      {:error, reason} ->
        {:error, {:dependency_failed, reason}}
    end
  rescue
    error in RuntimeError ->
      Logger.error("payment provider connection error: #{Exception.message(error)}")
      {:error, {:dependency_failed, Exception.message(error)}}
  end
end
