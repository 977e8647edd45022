# Half-fix (hint 3): an unnamed table read in the caller's process, but the caller asks the store for
# the table id first: one call per read, so a busy store still stalls every reader.
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
    table = GenServer.call(store, :table)

    case :ets.lookup(table, flag) do
      [{^flag, value}] -> value
      [] -> false
    end
  end

  @doc "Turns `flag` on or off. Goes through the store, which owns the table."
  def put(store, flag, value) when is_boolean(value) do
    GenServer.call(store, {:put, flag, value})
  end

  @impl true
  def init({name, flags}) do
    table = :ets.new(name, [:set, :protected, read_concurrency: true])
    :ets.insert(table, Map.to_list(flags))
    {:ok, table}
  end

  @impl true
  def handle_call(:table, _from, table), do: {:reply, table, table}

  def handle_call({:put, flag, value}, _from, table) do
    :ets.insert(table, {flag, value})
    {:reply, :ok, table}
  end
end
