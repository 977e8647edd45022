defmodule Billing.ChargerTest do
  use ExUnit.Case

  alias Billing.Charger

  @order %{id: "ord_1", total_cents: 4_200}

  defmodule AcceptingProvider do
    @behaviour Billing.Provider
    def charge(order_id, amount), do: {:ok, %{id: "rcpt_" <> order_id, amount: amount}}
  end

  defmodule SlowProvider do
    @behaviour Billing.Provider
    def charge(_order_id, _amount), do: {:error, :timeout}
  end

  defmodule DecliningProvider do
    @behaviour Billing.Provider
    def charge(_order_id, _amount), do: {:error, :card_declined}
  end

  defmodule BuggyProvider do
    @behaviour Billing.Provider
    def charge(_order_id, _amount), do: Map.fetch!(Process.get(:provider_config, %{}), :api_key)
  end

  @tag points: 1
  test "a successful charge returns {:ok, receipt}" do
    assert Charger.charge(AcceptingProvider, @order) == {:ok, %{id: "rcpt_ord_1", amount: 4_200}}
  end

  @tag points: 2
  test "a provider timeout is surfaced as {:error, :dependency_timeout}, not hidden as :ok" do
    result = Charger.charge(SlowProvider, @order)

    assert result == {:error, :dependency_timeout},
           "the provider did not answer in time: checkout must be told so it can retry " <>
             "or apologise, but charge/2 returned #{inspect(result)}"
  end

  @tag points: 1
  test "a refused charge is surfaced as {:error, {:dependency_failed, reason}}" do
    result = Charger.charge(DecliningProvider, @order)

    assert result == {:error, {:dependency_failed, :card_declined}},
           "the provider refused the charge: keep its reason so checkout can show it, " <>
             "but charge/2 returned #{inspect(result)}"
  end

  @tag points: 1
  test "a bug (KeyError) still raises instead of being swallowed" do
    # A KeyError is a bug in our code, not an outage: it must crash loudly so it gets fixed.
    assert_raise KeyError, fn -> Charger.charge(BuggyProvider, @order) end
  end
end
