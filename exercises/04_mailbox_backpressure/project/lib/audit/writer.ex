defmodule Audit.Writer do
  @moduledoc """
  Writes audit events (who did what to which record, and when) to the audit store.

  Every request calls `record/2` with its audit event. The store is slow, so the writer
  takes events in without making the request wait, and writes them one at a time, in the
  order they arrived.

  Options:
    * `:write` - writes one event to the store (default `&Audit.Store.write/1`)
    * `:name` - registers the writer under this name
  """
  use GenServer

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  def record(writer \\ __MODULE__, event) do
    GenServer.cast(writer, {:record, event})
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
