# Half-fix (done means 5): checks the writer's mailbox before casting, but drops the event and still answers :ok (silent loss).
defmodule Audit.Writer do
  @moduledoc "Writes audit events to the audit store, one at a time, in order."
  use GenServer
  require Logger

  @max_queue 20

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  def record(writer \\ __MODULE__, event) do
    {:message_queue_len, waiting} = Process.info(GenServer.whereis(writer), :message_queue_len)

    if waiting < @max_queue do
      GenServer.cast(writer, {:record, event})
    else
      Logger.warning("audit writer behind, dropping #{inspect(event)}")
      :ok
    end
  end

  @impl true
  def init(opts) do
    {:ok, %{write: Keyword.get(opts, :write, &Audit.Store.write/1), written: 0}}
  end

  @impl true
  def handle_cast({:record, event}, state) do
    :ok = state.write.(event)
    {:noreply, %{state | written: state.written + 1}}
  end
end
