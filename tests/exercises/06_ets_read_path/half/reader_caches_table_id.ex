# Half-fix (done means 4): the table id is published in :persistent_term, but each reader caches it in its own process dictionary: after a restart a long-lived reader reads the dead table and raises.
defmodule Flags.Store do
  @moduledoc """
  Feature flags. Every web request checks a few with `enabled?/2`; operators flip one with
  `put/3` a few times a day.

  The store owns an unnamed `:protected` table whose id it publishes in `:persistent_term`
  under its name. A reader looks the id up once and keeps it in its own process dictionary,
  so later reads skip even the `:persistent_term` lookup.
  """
  use GenServer

  def start_link(opts) do
    name = Keyword.fetch!(opts, :name)
    GenServer.start_link(__MODULE__, {name, Keyword.get(opts, :flags, %{})}, name: name)
  end

  @doc "Whether `flag` is on. Unknown flags are off."
  def enabled?(store, flag) do
    case :ets.lookup(table(store), flag) do
      [{^flag, value}] -> value
      [] -> false
    end
  end

  @doc "Turns `flag` on or off."
  def put(store, flag, value) when is_boolean(value) do
    GenServer.call(store, {:put, flag, value})
  end

  defp table(store) do
    case Process.get({__MODULE__, store}) do
      nil ->
        table = :persistent_term.get({__MODULE__, store})
        Process.put({__MODULE__, store}, table)
        table

      table ->
        table
    end
  end

  @impl true
  def init({name, flags}) do
    table = :ets.new(__MODULE__, [:set, :protected, read_concurrency: true])
    :ets.insert(table, Map.to_list(flags))
    :persistent_term.put({__MODULE__, name}, table)
    {:ok, table}
  end

  @impl true
  def handle_call({:put, flag, value}, _from, table) do
    :ets.insert(table, {flag, value})
    {:reply, :ok, table}
  end
end
