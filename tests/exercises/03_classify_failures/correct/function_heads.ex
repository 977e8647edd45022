# Correct, another style: the provider's answer is passed to multi-clause function heads.
defmodule Billing.Charger do
  @moduledoc "Charges an order; dependency failures become tagged errors, bugs still crash."

  def charge(provider, %{id: order_id, total_cents: amount}) do
    order_id |> provider.charge(amount) |> result()
  end

  defp result({:ok, _receipt} = ok), do: ok
  defp result({:error, :timeout}), do: {:error, :dependency_timeout}
  defp result({:error, reason}), do: {:error, {:dependency_failed, reason}}
end
