# Half-fix (done means 3): a catch-all that logs every unexpected message turns a mailbox flood into a log flood (1,000 warnings).
defmodule Pricing.QuoteCache do
  @moduledoc """
  Keeps the latest price of each symbol, pushed by the market-data feed (`Pricing.Feed`).

  The feed sends `{:quote, symbol, price}` for every trade and `:feed_reset` when it
  reconnects. Checkout reads prices with `price/2`, thousands of times a minute.
  """
  use GenServer
  require Logger

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  @doc "The latest price of `symbol`: `{:ok, cents}`, or `:error` when none arrived yet."
  def price(cache, symbol), do: GenServer.call(cache, {:price, symbol})

  @impl true
  def init(:ok), do: {:ok, %{}}

  @impl true
  def handle_call({:price, symbol}, _from, prices) do
    {:reply, Map.fetch(prices, symbol), prices}
  end

  @impl true
  def handle_info({:quote, symbol, price}, prices) do
    {:noreply, Map.put(prices, symbol, price)}
  end

  def handle_info(:feed_reset, _prices) do
    {:noreply, %{}}
  end

  def handle_info(message, prices) do
    Logger.warning("#{inspect(__MODULE__)} got an unexpected message: #{inspect(message)}")
    {:noreply, prices}
  end
end
