# Half-fix: no rescue, timeouts classified, but a refusal's reason is turned into a readable message instead of
# being kept as the provider gave it.
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
        message = if is_atom(reason), do: Atom.to_string(reason), else: inspect(reason)
        Logger.warning("payment provider refused order #{order_id}: #{message}")
        {:error, {:dependency_failed, message}}
    end
  end
end
