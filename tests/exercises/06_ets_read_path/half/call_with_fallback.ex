# Half-fix (hint 1): reads still go through the store, now with a short timeout that answers "off" when the store is busy: fast, but wrong.
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
    GenServer.start_link(__MODULE__, Keyword.get(opts, :flags, %{}), name: name)
  end

  @doc "Whether `flag` is on. Unknown flags are off."
  def enabled?(store, flag) do
    GenServer.call(store, {:enabled?, flag}, 100)
  catch
    :exit, {:timeout, _} -> false
  end

  @doc "Turns `flag` on or off."
  def put(store, flag, value) when is_boolean(value) do
    GenServer.call(store, {:put, flag, value})
  end

  @impl true
  def init(flags), do: {:ok, flags}

  @impl true
  def handle_call({:enabled?, flag}, _from, flags) do
    {:reply, Map.get(flags, flag, false), flags}
  end

  def handle_call({:put, flag, value}, _from, flags) do
    {:reply, :ok, Map.put(flags, flag, value)}
  end
end
