# Half-fix (done means 2): rewritten as a receive loop so an unknown message can no longer crash it,
# but with no clause for anything else: the heartbeats stay in the mailbox for ever.
defmodule Pricing.QuoteCache do
  @moduledoc """
  Keeps the latest price of each symbol, pushed by the market-data feed (`Pricing.Feed`).

  The feed sends `{:quote, symbol, price}` for every trade and `:feed_reset` when it
  reconnects. Checkout reads prices with `price/2`, thousands of times a minute.
  """
  def child_spec(opts) do
    %{id: __MODULE__, start: {__MODULE__, :start_link, [opts]}}
  end

  def start_link(_opts \\ []) do
    {:ok, :proc_lib.spawn_link(__MODULE__, :loop, [%{}])}
  end

  @doc "The latest price of `symbol`: `{:ok, cents}`, or `:error` when none arrived yet."
  def price(cache, symbol) do
    ref = Process.monitor(cache)
    send(cache, {:price, self(), ref, symbol})

    receive do
      {^ref, reply} ->
        Process.demonitor(ref, [:flush])
        reply

      {:DOWN, ^ref, :process, _pid, reason} ->
        exit({reason, {__MODULE__, :price, [cache, symbol]}})
    after
      5_000 ->
        Process.demonitor(ref, [:flush])
        exit({:timeout, {__MODULE__, :price, [cache, symbol]}})
    end
  end

  @doc false
  def loop(prices) do
    receive do
      {:price, from, ref, symbol} when is_pid(from) and is_reference(ref) ->
        send(from, {ref, Map.fetch(prices, symbol)})
        loop(prices)

      {:quote, symbol, price} ->
        loop(Map.put(prices, symbol, price))

      :feed_reset ->
        loop(%{})
    end
  end
end
