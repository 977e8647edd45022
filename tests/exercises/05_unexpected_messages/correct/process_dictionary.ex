# Correct, different style: the state stays a plain map of prices; the kinds already reported live in the process dictionary.
defmodule Pricing.QuoteCache do
  @moduledoc """
  Keeps the latest price of each symbol, pushed by the market-data feed (`Pricing.Feed`).

  The feed sends `{:quote, symbol, price}` for every trade and `:feed_reset` when it
  reconnects. Checkout reads prices with `price/2`, thousands of times a minute.
  Anything else is dropped; each kind of it is reported once.
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
    key = {:unexpected, tag(message)}

    case Process.get(key, 0) do
      0 ->
        Logger.warning(
          "QuoteCache ignores #{inspect(message, limit: 5)} (first of its kind; " <>
            "the rest are counted under #{inspect(key)} in the process dictionary)"
        )

      _seen ->
        :ok
    end

    Process.put(key, Process.get(key, 0) + 1)
    {:noreply, prices}
  end

  defp tag({tag, _}) when is_atom(tag), do: tag
  defp tag({tag, _, _}) when is_atom(tag), do: tag
  defp tag({tag, _, _, _}) when is_atom(tag), do: tag
  defp tag({tag, _, _, _, _}) when is_atom(tag), do: tag
  defp tag(atom) when is_atom(atom), do: atom
  defp tag(tuple) when is_tuple(tuple), do: {:tuple, tuple_size(tuple)}
  defp tag(_other), do: :not_a_tuple
end
