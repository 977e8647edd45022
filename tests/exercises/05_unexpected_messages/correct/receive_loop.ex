# Correct, different style: no GenServer; a hand-written receive loop whose last clause takes any other message out of the mailbox.
defmodule Pricing.QuoteCache do
  @moduledoc """
  Keeps the latest price of each symbol, pushed by the market-data feed (`Pricing.Feed`).

  The feed sends `{:quote, symbol, price}` for every trade and `:feed_reset` when it
  reconnects. Checkout reads prices with `price/2`, thousands of times a minute.
  """
  require Logger

  def child_spec(opts) do
    %{id: __MODULE__, start: {__MODULE__, :start_link, [opts]}}
  end

  def start_link(_opts \\ []) do
    {:ok, :proc_lib.spawn_link(__MODULE__, :loop, [%{}, MapSet.new()])}
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
  def loop(prices, reported) do
    receive do
      {:price, from, ref, symbol} when is_pid(from) and is_reference(ref) ->
        send(from, {ref, Map.fetch(prices, symbol)})
        loop(prices, reported)

      {:quote, symbol, price} ->
        loop(Map.put(prices, symbol, price), reported)

      :feed_reset ->
        loop(%{}, reported)

      other ->
        loop(prices, report(other, reported))
    end
  end

  defp report(message, reported) do
    kind =
      cond do
        is_atom(message) ->
          message

        is_tuple(message) and tuple_size(message) > 0 and is_atom(elem(message, 0)) ->
          elem(message, 0)

        true ->
          :malformed
      end

    if MapSet.member?(reported, kind) do
      reported
    else
      Logger.warning(
        "QuoteCache dropped #{inspect(message, limit: 5)}; not logging #{inspect(kind)} again"
      )

      MapSet.put(reported, kind)
    end
  end
end
