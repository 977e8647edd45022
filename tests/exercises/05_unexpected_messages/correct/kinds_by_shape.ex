# Correct, different style: a MapSet of kinds reported and a separate counter map; messages with no atom
# tag are grouped by shape (:binary, :map, {:tuple, size}, ...), so a late reply is {:tuple, 2}.
defmodule Pricing.QuoteCache do
  @moduledoc """
  Keeps the latest price of each symbol, pushed by the market-data feed (`Pricing.Feed`).

  The feed sends `{:quote, symbol, price}` for every trade and `:feed_reset` when it
  reconnects. Checkout reads prices with `price/2`, thousands of times a minute.
  """
  use GenServer
  require Logger

  defstruct prices: %{}, reported: MapSet.new(), counts: %{}

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  @doc "The latest price of `symbol`: `{:ok, cents}`, or `:error` when none arrived yet."
  def price(cache, symbol), do: GenServer.call(cache, {:price, symbol})

  @impl true
  def init(:ok), do: {:ok, %__MODULE__{}}

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

  def handle_info(message, state) do
    kind = kind(message)

    unless MapSet.member?(state.reported, kind) do
      Logger.warning(
        "unexpected #{inspect(kind)} message: #{inspect(message, limit: 10)} (reported once)"
      )
    end

    {:noreply,
     %{
       state
       | reported: MapSet.put(state.reported, kind),
         counts: Map.update(state.counts, kind, 1, &(&1 + 1))
     }}
  end

  defp kind(message) when is_atom(message), do: message
  defp kind({tag, _}) when is_atom(tag), do: tag

  defp kind(message)
       when is_tuple(message) and tuple_size(message) > 0 and is_atom(elem(message, 0)),
       do: elem(message, 0)

  defp kind(message) when is_tuple(message), do: {:tuple, tuple_size(message)}
  defp kind(message) when is_binary(message), do: :binary
  defp kind(message) when is_map(message), do: :map
  defp kind(message) when is_list(message), do: :list
  defp kind(message) when is_number(message), do: :number
  defp kind(_message), do: :other
end
