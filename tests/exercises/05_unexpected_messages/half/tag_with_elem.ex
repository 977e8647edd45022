# Half-fix (done means 1): logs once per tag, but takes the tag with elem(message, 0), which crashes on {} and treats every late reply {ref, value} as a new kind.
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
  def init(:ok), do: {:ok, %{prices: %{}, seen: MapSet.new()}}

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

  def handle_info(message, state) do
    tag = if is_tuple(message), do: elem(message, 0), else: message

    if MapSet.member?(state.seen, tag) do
      {:noreply, state}
    else
      Logger.warning(
        "unexpected message #{inspect(message)}; further #{inspect(tag)} are dropped"
      )

      {:noreply, %{state | seen: MapSet.put(state.seen, tag)}}
    end
  end
end
