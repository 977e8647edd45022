# Correct, back-pressure with a short call timeout: a caller waits at most 300 ms for its turn, then
# exits (its request fails loudly); the writer blocks on the store inside handle_call.
defmodule Audit.Writer do
  @moduledoc """
  Writes audit events to the audit store, one at a time, in order. `record/2` returns once
  the event is written; a request waits at most 300 ms for that and exits when it cannot
  get its turn in time.
  """
  use GenServer

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  @spec record(GenServer.server(), term) :: :ok
  def record(writer \\ __MODULE__, event) do
    GenServer.call(writer, {:record, event}, 300)
  end

  @impl true
  def init(opts) do
    {:ok, %{write: Keyword.get(opts, :write, &Audit.Store.write/1)}}
  end

  @impl true
  def handle_call({:record, event}, _from, state) do
    :ok = state.write.(event)
    {:reply, :ok, state}
  end
end
