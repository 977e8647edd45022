# Half-fix (done means 4): the table is created in start_link/1, in the caller's process (the
# supervisor), :public so the store can write it: it outlives a crashed store, and the restart cannot
# create it again.
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
    table = :ets.new(name, [:set, :public, :named_table, read_concurrency: true])
    :ets.insert(table, Map.to_list(Keyword.get(opts, :flags, %{})))
    GenServer.start_link(__MODULE__, table, name: name)
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
    GenServer.call(store, {:put, flag, value})
  end

  @impl true
  def init(table), do: {:ok, table}

  @impl true
  def handle_call({:put, flag, value}, _from, table) do
    :ets.insert(table, {flag, value})
    {:reply, :ok, table}
  end
end
