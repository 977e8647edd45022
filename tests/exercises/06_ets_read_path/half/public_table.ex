# Half-fix (done means 2): reads go straight to the table, but it is :public and put/3 writes from the caller, so any process can change the flags behind the store's back.
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

  @doc "Whether `flag` is on. Unknown flags are off."
  def enabled?(store, flag) do
    case :ets.lookup(store, flag) do
      [{^flag, value}] -> value
      [] -> false
    end
  end

  @doc "Turns `flag` on or off."
  def put(store, flag, value) when is_boolean(value) do
    :ets.insert(store, {flag, value})
    :ok
  end

  @impl true
  def init({name, flags}) do
    table = :ets.new(name, [:set, :public, :named_table, read_concurrency: true])
    :ets.insert(table, Map.to_list(flags))
    {:ok, table}
  end
end
