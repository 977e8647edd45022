# Correct, load shedding with a shared counter: callers reserve a slot in an :atomics counter bounded by
# :max_queue before casting, the writer frees it as the event's write starts; refused events are never cast.
defmodule Audit.Writer do
  @moduledoc """
  Writes audit events to the audit store, one at a time, in order, without making the
  request wait. An `:atomics` counter holds how many accepted events wait for the store;
  `record/2` reserves a slot before casting and answers `{:error, :overloaded}` when all
  `:max_queue` slots are taken.
  """
  use GenServer
  require Logger

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  @spec record(GenServer.server(), term) :: :ok | {:error, :overloaded}
  def record(writer \\ __MODULE__, event) do
    pid = GenServer.whereis(writer) || exit({:noproc, {__MODULE__, :record, [writer, event]}})
    {slots, max_queue} = :persistent_term.get({__MODULE__, pid})

    if :atomics.add_get(slots, 1, 1) <= max_queue do
      GenServer.cast(pid, {:record, event})
    else
      :atomics.sub(slots, 1, 1)
      {:error, :overloaded}
    end
  end

  @impl true
  def init(opts) do
    Process.flag(:trap_exit, true)
    slots = :atomics.new(1, [])
    :persistent_term.put({__MODULE__, self()}, {slots, Keyword.get(opts, :max_queue, 1_000)})
    {:ok, %{write: Keyword.get(opts, :write, &Audit.Store.write/1), slots: slots}}
  end

  @impl true
  def handle_cast({:record, event}, state) do
    # The event is no longer waiting once its write starts: its slot is free for the next one.
    :atomics.sub(state.slots, 1, 1)
    :ok = state.write.(event)
    {:noreply, state}
  end

  @impl true
  def terminate(_reason, _state) do
    :persistent_term.erase({__MODULE__, self()})
  end
end
