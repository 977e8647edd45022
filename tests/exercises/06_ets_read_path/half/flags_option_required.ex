# Half-fix (done means): a named protected table read directly, but start_link/1 does Keyword.fetch!(opts, :flags): a store started with only a :name crashes with KeyError.
defmodule Flags.Store do
  @moduledoc """
  Feature flags. Every web request checks a few with `enabled?/2`; operators flip one with
  `put/3` a few times a day.

  Start one store per node with a `:name` and the initial `:flags`, a map of
  flag => boolean; callers address the store by that name.
  """
  use GenServer

  def start_link(opts) do
    name = Keyword.fetch!(opts, :name)
    flags = Keyword.fetch!(opts, :flags)
    GenServer.start_link(__MODULE__, {name, flags}, name: name)
  end

  @doc "Whether `flag` is on. Unknown flags are off."
  def enabled?(store, flag) do
    case :ets.lookup(store, flag) do
      [{^flag, value}] -> value
      [] -> false
    end
  end

  @doc "Turns `flag` on or off."
  def put(store, flag, value) when is_boolean(value) do
    GenServer.call(store, {:put, flag, value})
  end

  @impl true
  def init({name, flags}) do
    table = :ets.new(name, [:set, :protected, :named_table, read_concurrency: true])
    :ets.insert(table, Map.to_list(flags))
    {:ok, table}
  end

  @impl true
  def handle_call({:put, flag, value}, _from, table) do
    :ets.insert(table, {flag, value})
    {:reply, :ok, table}
  end
end
