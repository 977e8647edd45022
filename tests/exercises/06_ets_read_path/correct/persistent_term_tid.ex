# Correct, different style: an unnamed :protected table whose id is published in :persistent_term under the store's name.
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
    store
    |> table()
    |> :ets.lookup(flag)
    |> case do
      [{_flag, value}] -> value
      [] -> false
    end
  end

  @doc "Turns `flag` on or off."
  def put(store, flag, value) when is_boolean(value) do
    GenServer.call(store, {:put, flag, value})
  end

  defp table(store), do: :persistent_term.get({__MODULE__, store})

  @impl true
  def init({name, flags}) do
    table = :ets.new(__MODULE__, [:protected, read_concurrency: true])
    true = :ets.insert(table, Enum.to_list(flags))
    # Written once per start of the store: cheap to read, and stores restart rarely.
    :persistent_term.put({__MODULE__, name}, table)
    {:ok, table}
  end

  @impl true
  def handle_call({:put, flag, value}, _from, table) do
    true = :ets.insert(table, {flag, value})
    {:reply, :ok, table}
  end
end
