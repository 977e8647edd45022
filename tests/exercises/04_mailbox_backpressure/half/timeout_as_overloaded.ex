# Half-fix (hint 2): back-pressure through a call with an explicit timeout, but a timed-out call is
# reported as {:error, :overloaded}: the event is still in the writer's mailbox and gets written, and
# the caller, free again, records more.
defmodule Audit.Writer do
  @moduledoc "Writes audit events to the audit store, one at a time, in order; callers wait their turn."
  use GenServer

  @call_timeout 5_000

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  @spec record(GenServer.server(), term) :: :ok | {:error, :overloaded}
  def record(writer \\ __MODULE__, event) do
    GenServer.call(writer, {:record, event}, @call_timeout)
  catch
    :exit, {:timeout, _} -> {:error, :overloaded}
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
