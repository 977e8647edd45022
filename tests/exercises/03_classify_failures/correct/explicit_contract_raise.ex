# Correct, another style: a public classifier that names the contract, with an explicit raise for an answer outside it.
defmodule Billing.Charger do
  @moduledoc "Charges an order; dependency failures become tagged errors, bugs and broken contracts still crash."
  require Logger

  def charge(provider, %{id: order_id, total_cents: amount} = order) do
    order_id
    |> provider.charge(amount)
    |> classify(provider)
    |> tap(&report(&1, order))
  end

  @doc "Maps a `Billing.Provider` answer to what checkout gets."
  def classify({:ok, %{id: _} = receipt}, _provider), do: {:ok, receipt}
  def classify({:error, :timeout}, _provider), do: {:error, :dependency_timeout}
  def classify({:error, reason}, _provider), do: {:error, {:dependency_failed, reason}}

  def classify(answer, provider) do
    raise ArgumentError,
          "#{inspect(provider)} broke the Billing.Provider contract: answered #{inspect(answer, limit: 5)}"
  end

  defp report({:ok, receipt}, order), do: Logger.info("charged order #{order.id}: receipt #{receipt.id}")

  defp report({:error, error}, order),
    do: Logger.warning("charging order #{order.id} failed: #{inspect(error)}", order_id: order.id)
end
