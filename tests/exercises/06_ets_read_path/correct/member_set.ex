# Correct, different style: the named table holds only the flags that are on ({flag}), read with :ets.member/2; off means absent.
defmodule Flags.Store do
  @moduledoc """
  Feature flags. Every web request checks a few with `enabled?/2`; operators flip one with
  `put/3` a few times a day.

  Start one store per node with a `:name` (and optionally the initial `:flags`, a map of
  flag => boolean); callers address the store by that name.
  """
  use GenServer

  @table_options [
    :set,
    :named_table,
    :protected,
    read_concurrency: true,
    write_concurrency: false
  ]

  def start_link(opts) do
    name = Keyword.fetch!(opts, :name)
    GenServer.start_link(__MODULE__, opts, name: name)
  end

  @doc "Whether `flag` is on. Unknown flags are off."
  def enabled?(store, flag), do: :ets.member(store, flag)

  @doc "Turns `flag` on or off."
  def put(store, flag, value) when is_boolean(value) do
    GenServer.call(store, {:put, flag, value})
  end

  @impl true
  def init(opts) do
    table = :ets.new(Keyword.fetch!(opts, :name), @table_options)
    for {flag, true} <- Keyword.get(opts, :flags, %{}), do: :ets.insert(table, {flag})
    {:ok, %{table: table}}
  end

  @impl true
  def handle_call({:put, flag, true}, _from, state) do
    :ets.insert(state.table, {flag})
    {:reply, :ok, state}
  end

  def handle_call({:put, flag, false}, _from, state) do
    :ets.delete(state.table, flag)
    {:reply, :ok, state}
  end
end
