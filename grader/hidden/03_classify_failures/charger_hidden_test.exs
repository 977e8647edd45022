defmodule Billing.ChargerHiddenTest do
  use ExUnit.Case

  import ExUnit.CaptureLog

  alias Billing.Charger

  @order %{id: "ord_7", total_cents: 990}

  defmodule ReasonProvider do
    @behaviour Billing.Provider
    def charge(_order_id, _amount), do: {:error, Process.get(:provider_reason)}
  end

  defmodule ExitingProvider do
    @behaviour Billing.Provider
    def charge(_order_id, _amount), do: exit(:provider_pool_down)
  end

  defmodule CrashingProvider do
    @behaviour Billing.Provider
    def charge(_order_id, _amount), do: raise(ArgumentError, "bad amount encoding")
  end

  defmodule AcceptingProvider do
    @behaviour Billing.Provider
    def charge(order_id, _amount), do: {:ok, %{id: "rcpt_" <> order_id}}
  end

  @tag points: 1
  test "any refusal reason is kept verbatim inside {:dependency_failed, reason}" do
    for reason <- [:econnrefused, {:http_status, 503}, %{code: "insufficient_funds"}] do
      Process.put(:provider_reason, reason)
      result = Charger.charge(ReasonProvider, @order)

      assert result == {:error, {:dependency_failed, reason}},
             "provider refused with #{inspect(reason)}, charge/2 returned #{inspect(result)}"
    end
  end

  @tag points: 1
  test "a crash in the provider client (ArgumentError) is not turned into a result" do
    assert_raise ArgumentError, fn -> Charger.charge(CrashingProvider, @order) end
  end

  @tag points: 1
  test "an exit from the provider is not caught and hidden" do
    assert catch_exit(Charger.charge(ExitingProvider, @order)) == :provider_pool_down
  end

  @tag points: 1
  test "a successful charge still works after failures were classified" do
    capture_log(fn ->
      for reason <- [:timeout, :card_declined] do
        Process.put(:provider_reason, reason)
        Charger.charge(ReasonProvider, @order)
      end
    end)

    result = Charger.charge(AcceptingProvider, @order)

    assert result == {:ok, %{id: "rcpt_ord_7"}},
           "after a timeout and a refusal, the next successful charge must return {:ok, receipt}, got #{inspect(result)}"
  end
end
