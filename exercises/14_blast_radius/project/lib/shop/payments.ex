defmodule Shop.Payments.Ledger do
  @moduledoc """
  Owns the ledger table, where `Shop.Payments.Gateway` records every payment. The table lives as
  long as this process: a restarted ledger starts with a new, empty table (a real one would reload
  it from the database).
  """
  use GenServer

  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @doc "The ledger's table."
  def table, do: GenServer.call(__MODULE__, :table)

  @doc "The payments recorded in this ledger, as `{payment_id, order_id, amount_cents}`."
  def payments, do: :ets.tab2list(table())

  def init(:ok), do: {:ok, :ets.new(:ledger, [:set, :public])}

  def handle_call(:table, _from, table), do: {:reply, table, table}
end

defmodule Shop.Payments.Gateway do
  @moduledoc """
  Charges orders and records each payment in the ledger's table, which it asks
  `Shop.Payments.Ledger` for once, when it starts.
  """
  use GenServer

  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @doc "Charges an order: `{:ok, payment_id}`, once the payment is in the ledger."
  def charge(order_id, amount_cents),
    do: GenServer.call(__MODULE__, {:charge, order_id, amount_cents})

  def init(:ok), do: {:ok, %{ledger: Shop.Payments.Ledger.table()}}

  def handle_call({:charge, order_id, amount_cents}, _from, state) do
    payment_id = "pay_#{System.unique_integer([:positive])}"
    :ets.insert(state.ledger, {payment_id, order_id, amount_cents})
    {:reply, {:ok, payment_id}, state}
  end
end
