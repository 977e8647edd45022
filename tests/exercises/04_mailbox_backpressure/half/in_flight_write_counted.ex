# Half-fix (done means 2): a bounded buffer, but the event being written still counts as waiting, so with max_queue: 1 a single slow write refuses every other event.
defmodule Audit.Writer do
  @moduledoc """
  Writes audit events (who did what to which record, and when) to the audit store.

  Load shedding: the writer never blocks on the store. It answers every `record/2` at once
  from a bounded buffer and writes the buffered events one at a time, in order, in a task.
  While fewer than `:max_queue` events wait, `record/2` answers `:ok`; when the buffer is
  full it answers `{:error, :overloaded}` and the event is never written.

  Options:
    * `:write` - writes one event to the store (default `&Audit.Store.write/1`)
    * `:name` - registers the writer under this name
    * `:max_queue` - how many events may wait for the store (default `1_000`)
  """
  use GenServer
  require Logger

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  def record(writer \\ __MODULE__, event) do
    GenServer.call(writer, {:record, event})
  end

  @impl true
  def init(opts) do
    max_queue = Keyword.get(opts, :max_queue, 1_000)

    unless is_integer(max_queue) and max_queue >= 0 do
      raise ArgumentError, ":max_queue must be a non-negative integer, got: #{inspect(max_queue)}"
    end

    # So a supervisor's shutdown runs terminate/2, which writes what was accepted.
    Process.flag(:trap_exit, true)

    {:ok,
     %{
       write: Keyword.get(opts, :write, &Audit.Store.write/1),
       max_queue: max_queue,
       queue: :queue.new(),
       queued: 0,
       writing: nil,
       overloaded?: false,
       written: 0
     }}
  end

  @impl true
  def handle_call({:record, event}, _from, %{writing: nil} = state) do
    {:reply, :ok, start_write(event, state)}
  end

  # The event being written still waits for the store: count it.
  def handle_call({:record, _event}, _from, %{queued: n, max_queue: max} = state) when n + 1 >= max do
    unless state.overloaded? do
      Logger.warning("Audit.Writer overloaded: #{n} events waiting for the store, refusing new ones")
    end

    {:reply, {:error, :overloaded}, %{state | overloaded?: true}}
  end

  def handle_call({:record, event}, _from, state) do
    {:reply, :ok, %{state | queue: :queue.in(event, state.queue), queued: state.queued + 1}}
  end

  @impl true
  def handle_info({ref, :ok}, %{writing: %Task{ref: ref}} = state) do
    Process.demonitor(ref, [:flush])
    {:noreply, write_next(%{state | writing: nil, written: state.written + 1})}
  end

  def handle_info({ref, other}, %{writing: %Task{ref: ref}} = state) do
    Process.demonitor(ref, [:flush])
    {:stop, {:bad_write_result, other}, %{state | writing: nil}}
  end

  def handle_info({:DOWN, ref, :process, _pid, reason}, %{writing: %Task{ref: ref}} = state) do
    {:stop, {:write_failed, reason}, %{state | writing: nil}}
  end

  def handle_info({:EXIT, _pid, :normal}, state), do: {:noreply, state}

  def handle_info({:EXIT, pid, reason}, %{writing: %Task{pid: pid}} = state) do
    {:stop, {:write_failed, reason}, %{state | writing: nil}}
  end

  def handle_info({:EXIT, _pid, reason}, state), do: {:stop, reason, state}

  def handle_info(message, state) do
    Logger.warning("Audit.Writer: unexpected message #{inspect(message, limit: 5)}")
    {:noreply, state}
  end

  @impl true
  def terminate(reason, state) when reason in [:normal, :shutdown] or
                                     (is_tuple(reason) and elem(reason, 0) == :shutdown) do
    # Every event answered :ok gets written: finish the write under way, then the buffer.
    if state.writing, do: Task.await(state.writing, :infinity)

    state.queue
    |> :queue.to_list()
    |> Enum.each(fn event -> :ok = state.write.(event) end)
  end

  def terminate(_reason, _state), do: :ok

  defp write_next(%{queued: 0} = state), do: %{state | overloaded?: false}

  defp write_next(state) do
    {{:value, event}, queue} = :queue.out(state.queue)
    start_write(event, %{state | queue: queue, queued: state.queued - 1, overloaded?: false})
  end

  defp start_write(event, state) do
    write = state.write
    %{state | writing: Task.async(fn -> write.(event) end)}
  end
end
