# Half-fix (done means 4): right table options, but one hard-coded table name for every store, so a second store cannot start and names no longer matter.
defmodule Flags.Store do
  @moduledoc """
  Feature flags. Every web request checks a few with `enabled?/2`; operators flip one with
  `put/3` a few times a day.

  Start one store per node with a `:name` (and optionally the initial `:flags`, a map of
  flag => boolean); callers address the store by that name.
  """
  use GenServer

  @table :feature_flags

  def start_link(opts) do
    name = Keyword.fetch!(opts, :name)
    GenServer.start_link(__MODULE__, Keyword.get(opts, :flags, %{}), name: name)
  end

  @doc "Whether `flag` is on. Unknown flags are off."
  def enabled?(_store, flag) do
    case :ets.lookup(@table, flag) do
      [{^flag, value}] -> value
      [] -> false
    end
  end

  @doc "Turns `flag` on or off."
  def put(store, flag, value) when is_boolean(value) do
    GenServer.call(store, {:put, flag, value})
  end

  @impl true
  def init(flags) do
    :ets.new(@table, [:set, :protected, :named_table, read_concurrency: true])
    :ets.insert(@table, Map.to_list(flags))
    {:ok, flags}
  end

  @impl true
  def handle_call({:put, flag, value}, _from, flags) do
    :ets.insert(@table, {flag, value})
    {:reply, :ok, Map.put(flags, flag, value)}
  end
end
