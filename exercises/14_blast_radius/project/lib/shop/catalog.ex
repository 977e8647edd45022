defmodule Shop.Catalog do
  @moduledoc """
  The catalogue cache: product prices in an ETS table this process owns, read by anyone without a
  call. It starts empty, and `Shop.Importer` fills it. When the catalogue restarts, its table goes
  with it: the new one is empty until the importer imports again.
  """
  use GenServer

  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @doc "The price of `sku` in cents, or nil (unknown product, or the catalogue is not running)."
  def price(sku) do
    case :ets.whereis(__MODULE__) do
      :undefined -> nil
      table -> table |> :ets.lookup(sku) |> Enum.map(&elem(&1, 1)) |> List.first()
    end
  end

  @doc "Puts `{sku, price_cents}` pairs into the catalogue."
  def put_products(products), do: GenServer.call(__MODULE__, {:put, products})

  def init(:ok) do
    :ets.new(__MODULE__, [:named_table, :protected, read_concurrency: true])
    {:ok, nil}
  end

  def handle_call({:put, products}, _from, state) do
    :ets.insert(__MODULE__, products)
    {:reply, :ok, state}
  end
end
