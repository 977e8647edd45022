# Half-fix (hint 3): sheds with {:error, :overloaded}, but against a hard-coded limit of 1_000 instead of the :max_queue option.
defmodule Audit.Writer do
  @moduledoc "Writes audit events to the audit store, one at a time, in order."
  use GenServer

  @max_queue 1_000

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  def record(writer \\ __MODULE__, event) do
    case Process.info(GenServer.whereis(writer), :message_queue_len) do
      {:message_queue_len, waiting} when waiting < @max_queue ->
        GenServer.cast(writer, {:record, event})

      _ ->
        {:error, :overloaded}
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
