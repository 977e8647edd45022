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
    # The exit the test puts in the process dictionary: a pool gone, or a GenServer.call timing out.
    def charge(_order_id, _amount), do: exit(Process.get(:provider_exit, :provider_pool_down))
  end

  defmodule ThrowingProvider do
    @behaviour Billing.Provider
    def charge(_order_id, _amount), do: throw({:http_error, 502})
  end

  defmodule OutdatedProvider do
    @behaviour Billing.Provider
    # The client calls a function its dependency no longer has: an UndefinedFunctionError.
    def charge(_order_id, _amount), do: Process.get(:signer, Billing.Signer).sign("payload")
  end

  defmodule CrashingProvider do
    @behaviour Billing.Provider
    def charge(_order_id, _amount), do: raise(ArgumentError, "bad amount encoding")
  end

  defmodule RaisingProvider do
    @behaviour Billing.Provider
    # A plain `raise "..."`: a RuntimeError, the most common bug of all.
    def charge(_order_id, _amount), do: raise("unexpected nil in signature header")
  end

  defmodule MisconfiguredProvider do
    @behaviour Billing.Provider

    # A failed match inside the client: a bug whose MatchError carries an error tuple.
    def charge(order_id, amount) do
      {:ok, config} = Process.get(:provider_config, {:error, :no_config})
      {:ok, %{id: "rcpt_" <> order_id, amount: amount, account: config.account}}
    end
  end

  defmodule OffContractProvider do
    @behaviour Billing.Provider
    # Answers the test puts in the process dictionary: none of them is in the contract.
    def charge(_order_id, _amount), do: Process.get(:provider_answer)
  end

  defmodule AcceptingProvider do
    @behaviour Billing.Provider
    def charge(order_id, amount) do
      {:ok, %{id: "rcpt_" <> order_id, amount: amount, card_last4: "4242", captured_at: ~U[2026-03-02 10:15:00Z]}}
    end
  end

  @tag points: 1
  test "any refusal reason is kept verbatim inside {:dependency_failed, reason}" do
    # Only {:error, :timeout} is the contract's timeout: a reason that merely sounds like one is
    # a refusal like any other, passed on as the provider gave it.
    reasons = [:econnrefused, {:http_status, 503}, %{code: "insufficient_funds"}, :etimedout, :connect_timeout]

    for reason <- reasons do
      Process.put(:provider_reason, reason)
      result = Charger.charge(ReasonProvider, @order)

      assert result == {:error, {:dependency_failed, reason}},
             "provider refused with #{inspect(reason)}, charge/2 returned #{inspect(result)}"
    end
  end

  @tag points: 1
  test "a crash in the provider client (ArgumentError, a plain raise, an undefined function) is not turned into a result" do
    assert_raise ArgumentError, fn -> Charger.charge(CrashingProvider, @order) end

    assert_raise RuntimeError,
                 "unexpected nil in signature header",
                 fn -> Charger.charge(RaisingProvider, @order) end

    assert_raise UndefinedFunctionError, fn -> Charger.charge(OutdatedProvider, @order) end
  end

  @tag points: 1
  test "a MatchError raised inside the provider client still raises, whatever it carries" do
    error = assert_raise MatchError, fn -> Charger.charge(MisconfiguredProvider, @order) end

    assert error.term == {:error, :no_config},
           "the client's own MatchError must reach the caller unchanged, got #{inspect(error)}"
  end

  @tag points: 1
  test "an answer outside the provider's contract crashes the request instead of becoming a result" do
    off_contract = [:ok, nil, "declined", {:ok, %{id: "rcpt_x"}, :extra}, {:error}, {:declined, :card}]

    for answer <- off_contract do
      Process.put(:provider_answer, answer)

      outcome =
        try do
          {:returned, Charger.charge(OffContractProvider, @order)}
        rescue
          error -> {:raised, error}
        catch
          :exit, reason -> {:exited, reason}
        end

      refute match?({:returned, _}, outcome),
             "the client answered #{inspect(answer)}, which is none of {:ok, receipt}, " <>
               "{:error, :timeout} or {:error, reason}: a client that breaks its contract has " <>
               "a bug, and charge/2 must crash (a case with no catch-all clause raises " <>
               "CaseClauseError), but it returned #{inspect(elem(outcome, 1))}"
    end
  end

  @tag points: 1
  test "an exit or a throw from the provider is not caught and hidden" do
    assert catch_exit(Charger.charge(ExitingProvider, @order)) == :provider_pool_down

    # What GenServer.call exits with when its server is slow: an exit, not the contract's
    # {:error, :timeout}, so it is not a :dependency_timeout.
    call_timeout = {:timeout, {GenServer, :call, [Billing.Pool, :checkout, 5_000]}}
    Process.put(:provider_exit, call_timeout)
    assert catch_exit(Charger.charge(ExitingProvider, @order)) == call_timeout

    assert catch_throw(Charger.charge(ThrowingProvider, @order)) == {:http_error, 502}
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
    {:ok, receipt} = AcceptingProvider.charge(@order.id, @order.total_cents)

    assert result == {:ok, receipt},
           "after a timeout and a refusal, the next successful charge must return {:ok, receipt}, " <>
             "the receipt exactly as the provider gave it, got #{inspect(result)}"
  end
end
