# Half-fix (done means 2): a helper process started in init/1 creates and owns the table, so it must be
# :public for the store to write it: the store does not own its flags, and any process can change them.
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
    GenServer.call(store, {:put, flag, value})
  end

  @impl true
  def init({name, flags}) do
    store = self()

    spawn_link(fn ->
      table = :ets.new(name, [:set, :public, :named_table, read_concurrency: true])
      send(store, {:table, table})
      Process.sleep(:infinity)
    end)

    table =
      receive do
        {:table, table} -> table
      end

    :ets.insert(table, Map.to_list(flags))
    {:ok, table}
  end

  @impl true
  def handle_call({:put, flag, value}, _from, table) do
    :ets.insert(table, {flag, value})
    {:reply, :ok, table}
  end
end
