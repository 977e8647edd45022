# Half-fix (done means 1): a catch-all that reports once per kind, but a {:DOWN, ...} or {:EXIT, ...} message with an abnormal reason makes the cache stop, losing every price.
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
  def init(:ok), do: {:ok, %{prices: %{}, unexpected: %{}}}

  @impl true
  def handle_call({:price, symbol}, _from, state) do
    {:reply, Map.fetch(state.prices, symbol), state}
  end

  @impl true
  def handle_info({:quote, symbol, price}, state) do
    {:noreply, %{state | prices: Map.put(state.prices, symbol, price)}}
  end

  def handle_info(:feed_reset, state) do
    {:noreply, %{state | prices: %{}}}
  end

  # A linked or monitored process that crashed: crash with it, the supervisor knows best.
  def handle_info({:EXIT, _pid, reason}, state) when reason not in [:normal, :shutdown],
    do: {:stop, reason, state}

  def handle_info({:DOWN, _ref, :process, _pid, reason}, state) when reason not in [:normal, :shutdown],
    do: {:stop, reason, state}

  def handle_info(message, state) do
    kind = kind(message)

    unless Map.has_key?(state.unexpected, kind) do
      Logger.warning(
        "QuoteCache dropped an unexpected message #{inspect(message, limit: 10)} " <>
          "(kind #{inspect(kind)}); further ones of this kind are counted, not logged"
      )
    end

    {:noreply, %{state | unexpected: Map.update(state.unexpected, kind, 1, &(&1 + 1))}}
  end

  defp kind(message) when is_atom(message), do: message
  defp kind(message) when is_tuple(message) and tuple_size(message) > 0 and is_atom(elem(message, 0)),
    do: elem(message, 0)

  defp kind(_message), do: :untagged
end
