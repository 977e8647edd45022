# Half-fix (done means): a named protected table read directly, but put/3 lost its is_boolean guard: put(store, :x, "false") is stored and enabled?/2 answers a truthy string.
defmodule Flags.Store do
  @moduledoc """
  Feature flags. Every web request checks a few with `enabled?/2`; operators flip one with
  `put/3` a few times a day.
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

  @doc "Sets `flag` to `value`."
  def put(store, flag, value) do
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
