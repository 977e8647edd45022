# Correct, back-pressure: record/2 is a call answered after the write, so no caller can outrun the store.
defmodule Audit.Writer do
  @moduledoc """
  Writes audit events to the audit store, one at a time, in order.

  `record/2` returns once the event is written: a request waits for its turn instead of
  piling messages into the writer's mailbox. The mailbox holds at most one message per
  waiting caller.
  """
  use GenServer

  @call_timeout 5_000

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  @spec record(GenServer.server(), term) :: :ok
  def record(writer \\ __MODULE__, event) do
    GenServer.call(writer, {:record, event}, @call_timeout)
  end

  @impl true
  def init(opts) do
    {:ok, %{write: Keyword.get(opts, :write, &Audit.Store.write/1), written: 0}}
  end

  @impl true
  def handle_call({:record, event}, _from, state) do
    :ok = state.write.(event)
    {:reply, :ok, %{state | written: state.written + 1}}
  end
end
