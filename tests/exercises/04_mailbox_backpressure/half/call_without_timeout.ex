# Half-fix (hint 2): back-pressure through a call, but with an :infinity timeout: when the store hangs every caller hangs with it, for ever, instead of exiting.
defmodule Audit.Writer do
  @moduledoc """
  Writes audit events (who did what to which record, and when) to the audit store.

  `record/2` returns once the event is written: callers wait their turn, however long the
  store takes, so no event is ever refused or lost.
  """
  use GenServer

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  def record(writer \\ __MODULE__, event) do
    GenServer.call(writer, {:record, event}, :infinity)
  end

  @impl true
  def init(opts) do
    {:ok,
     %{
       write: Keyword.get(opts, :write, &Audit.Store.write/1),
       max_queue: Keyword.get(opts, :max_queue, 1_000),
       written: 0
     }}
  end

  @impl true
  def handle_call({:record, event}, _from, state) do
    :ok = state.write.(event)
    {:reply, :ok, %{state | written: state.written + 1}}
  end
end
