# Half-fix (done means 4): the writer drops events itself when its mailbox is long, but a stuck writer cannot, and callers are never told.
defmodule Audit.Writer do
  @moduledoc "Writes audit events to the audit store, one at a time, in order."
  use GenServer
  require Logger

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  def record(writer \\ __MODULE__, event) do
    GenServer.cast(writer, {:record, event})
  end

  @impl true
  def init(opts) do
    {:ok,
     %{
       write: Keyword.get(opts, :write, &Audit.Store.write/1),
       max_queue: Keyword.get(opts, :max_queue, 1_000)
     }}
  end

  @impl true
  def handle_cast({:record, event}, state) do
    {:message_queue_len, waiting} = Process.info(self(), :message_queue_len)

    if waiting > state.max_queue do
      Logger.warning("audit writer behind (#{waiting} waiting), dropping an event")
    else
      :ok = state.write.(event)
    end

    {:noreply, state}
  end
end
