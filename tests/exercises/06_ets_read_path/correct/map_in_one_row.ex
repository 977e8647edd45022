# Correct, different style: the whole flag map in one row of an unnamed :protected table, found through
# :persistent_term under the store's name; put/3 replaces the row.
defmodule Flags.Store do
  @moduledoc """
  Feature flags. Every web request checks a few with `enabled?/2`; operators flip one with
  `put/3` a few times a day.

  The flags are one map in one row of a `:protected` ETS table owned by the store; readers
  find the table through `:persistent_term` and never message the store.
  """
  use GenServer

  def start_link(opts) do
    name = Keyword.fetch!(opts, :name)
    GenServer.start_link(__MODULE__, {name, Keyword.get(opts, :flags, %{})}, name: name)
  end

  @doc "Whether `flag` is on. Unknown flags are off."
  def enabled?(store, flag) do
    [{:flags, flags}] = :ets.lookup(:persistent_term.get({__MODULE__, store}), :flags)
    Map.get(flags, flag, false)
  end

  @doc "Turns `flag` on or off."
  def put(store, flag, value) when is_boolean(value) do
    GenServer.call(store, {:put, flag, value})
  end

  @impl true
  def init({name, flags}) do
    table = :ets.new(__MODULE__, [:set, :protected, read_concurrency: true])
    :ets.insert(table, {:flags, flags})
    :persistent_term.put({__MODULE__, name}, table)
    {:ok, table}
  end

  @impl true
  def handle_call({:put, flag, value}, _from, table) do
    [{:flags, flags}] = :ets.lookup(table, :flags)
    :ets.insert(table, {:flags, Map.put(flags, flag, value)})
    {:reply, :ok, table}
  end
end
