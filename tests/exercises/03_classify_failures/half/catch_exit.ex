# Half-fix: classifies the three answers and rescues nothing, but catches exits ("the client's pool is down")
# and reports them as a dependency failure.
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
  catch
    :exit, reason ->
      Logger.error("payment provider client exited: #{inspect(reason)}")
      {:error, {:dependency_failed, {:exit, reason}}}
  end
end
