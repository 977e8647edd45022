# Half-fix (done means 3): writes still go through the store, but put/3 casts: it returns before the
# table is updated, so the caller's next read may not see its own change.
defmodule Flags.Store do
  @moduledoc """
  Feature flags. Every web request checks a few with `enabled?/2`; operators flip one with
  `put/3` a few times a day.

  Start one store per node with a `:name` (and optionally the initial `:flags`, a map of
  flag => boolean); callers address the store by that name.

  """
  use GenServer

  def start_link(opts) do
    name = Keyword.fetch!(opts, :name)
    GenServer.start_link(__MODULE__, {name, Keyword.get(opts, :flags, %{})}, name: name)
  end

  @doc "Whether `flag` is on. Unknown flags are off. Reads the table: never waits for the store."
  def enabled?(store, flag) do
    case :ets.lookup(store, flag) do
      [{^flag, value}] -> value
      [] -> false
    end
  end

  @doc "Turns `flag` on or off. Goes through the store, which owns the table."
  def put(store, flag, value) when is_boolean(value) do
    GenServer.cast(store, {:put, flag, value})
  end

  @impl true
  def init({name, flags}) do
    table = :ets.new(name, [:set, :protected, :named_table, read_concurrency: true])
    :ets.insert(table, Map.to_list(flags))
    {:ok, table}
  end

  @impl true
  def handle_cast({:put, flag, value}, table) do
    :ets.insert(table, {flag, value})
    {:noreply, table}
  end
end
