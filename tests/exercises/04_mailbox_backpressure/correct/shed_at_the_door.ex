# Correct, load shedding in the caller: check the writer's message_queue_len against :max_queue before casting.
defmodule Audit.Writer do
  @moduledoc """
  Writes audit events to the audit store, one at a time, in order, without making the
  request wait. When `:max_queue` messages are already waiting in the writer's mailbox,
  `record/2` refuses the event with `{:error, :overloaded}` instead of queueing it.

  The limit is published once per writer in `:persistent_term`, for callers to read.
  """
  use GenServer
  require Logger

  @default_max_queue 1_000

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  @spec record(GenServer.server(), term) :: :ok | {:error, :overloaded}
  def record(writer \\ __MODULE__, event) do
    pid = GenServer.whereis(writer) || exit({:noproc, {__MODULE__, :record, [writer, event]}})
    limit = :persistent_term.get({__MODULE__, pid}, @default_max_queue)

    case Process.info(pid, :message_queue_len) do
      {:message_queue_len, waiting} when waiting < limit -> GenServer.cast(pid, {:record, event})
      {:message_queue_len, _waiting} -> {:error, :overloaded}
      nil -> exit({:noproc, {__MODULE__, :record, [writer, event]}})
    end
  end

  @impl true
  def init(opts) do
    Process.flag(:trap_exit, true)
    :persistent_term.put({__MODULE__, self()}, Keyword.get(opts, :max_queue, @default_max_queue))
    {:ok, %{write: Keyword.get(opts, :write, &Audit.Store.write/1), written: 0}}
  end

  @impl true
  def handle_cast({:record, event}, state) do
    :ok = state.write.(event)
    {:noreply, %{state | written: state.written + 1}}
  end

  @impl true
  def terminate(_reason, _state) do
    :persistent_term.erase({__MODULE__, self()})
  end
end
