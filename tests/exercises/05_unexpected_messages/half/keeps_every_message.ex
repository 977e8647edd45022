# Half-fix (done means 2): each kind is logged once, but every message is kept in a per-kind list in the state: the mailbox drains, the heap grows without bound.
defmodule Pricing.QuoteCache do
  @moduledoc false
  use GenServer
  require Logger

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

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


  def handle_info(:feed_reset, state), do: {:noreply, %{state | prices: %{}}}


  def handle_info(message, state) do
    kind = kind(message)

    if not Map.has_key?(state.unexpected, kind) do
      Logger.warning("unexpected #{inspect(kind)} message: #{inspect(message, limit: 10)}; further ones are counted")
    end

    # keep them for inspection with :sys.get_state/1; the count is length/1
    {:noreply, %{state | unexpected: Map.update(state.unexpected, kind, [message], &[message | &1])}}
  end


  defp kind(m) when is_atom(m), do: m
  defp kind(m) when is_tuple(m) and tuple_size(m) > 0 and is_atom(elem(m, 0)), do: elem(m, 0)
  defp kind(_), do: :other
end

