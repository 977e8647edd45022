# Half-fix (done means 3): logs only the very first unexpected message ever, so a new kind of junk arriving later goes unreported.
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
  def init(:ok), do: {:ok, %{prices: %{}, warned?: false}}

  @impl true
  def handle_call({:price, symbol}, _from, state) do
    {:reply, Map.fetch(state.prices, symbol), state}
  end

  @impl true
  def handle_info({:quote, symbol, price}, state) do
    {:noreply, put_in(state.prices[symbol], price)}
  end

  def handle_info(:feed_reset, state) do
    {:noreply, %{state | prices: %{}}}
  end

  def handle_info(message, %{warned?: false} = state) do
    Logger.warning("#{inspect(__MODULE__)} dropped an unexpected message: #{inspect(message)}")
    {:noreply, %{state | warned?: true}}
  end

  def handle_info(_message, state) do
    {:noreply, state}
  end
end
