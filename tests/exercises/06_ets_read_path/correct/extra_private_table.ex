# Correct, different style: the flag table of the reference, plus a :private table of its own (a history
# of changes) that no reader ever touches.
defmodule Flags.Store do
  @moduledoc """
  Feature flags. Every web request checks a few with `enabled?/2`; operators flip one with
  `put/3` a few times a day.

  Start one store per node with a `:name` (and optionally the initial `:flags`, a map of
  flag => boolean); callers address the store by that name.

  The flags live in a `:protected` ETS table named after the store and owned by the store
  process. Readers look flags up in the table directly, concurrently, without a message to
  the store; writes go through the store, the only process allowed to write the table.
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
    table = :ets.new(name, [:set, :protected, :named_table, read_concurrency: true])
    :ets.insert(table, Map.to_list(flags))
    # The store's own bookkeeping: who changed what, never read by anyone else.
    history = :ets.new(:flag_history, [:ordered_set, :private])
    {:ok, %{table: table, history: history}}
  end

  @impl true
  def handle_call({:put, flag, value}, {caller, _tag}, state) do
    :ets.insert(state.history, {System.monotonic_time(), flag, value, caller})
    :ets.insert(state.table, {flag, value})
    {:reply, :ok, state}
  end
end
