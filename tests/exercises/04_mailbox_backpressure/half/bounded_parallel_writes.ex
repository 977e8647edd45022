# Half-fix (done means 4): bounds what waits by :max_queue, but starts a write task for every
# accepted event, so up to :max_queue writes hit the store at once.
defmodule Audit.Writer do
  @moduledoc "Writes audit events to the audit store from a bounded buffer."
  use GenServer
  require Logger

  @default_max_queue 1_000

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  @spec record(GenServer.server(), term) :: :ok | {:error, :overloaded}
  def record(writer \\ __MODULE__, event) do
    GenServer.call(writer, {:record, event})
  end

  @impl true
  def init(opts) do
    {:ok,
     %{
       write: Keyword.get(opts, :write, &Audit.Store.write/1),
       max_queue: Keyword.get(opts, :max_queue, @default_max_queue),
       buffer: :queue.new(),
       buffered: 0,
       writing: %{},
       overloaded?: false
     }}
  end

  @impl true
  def handle_call({:record, _event}, _from, %{buffered: n, max_queue: max} = state)
      when n >= max do
    unless state.overloaded?,
      do: Logger.warning("audit writer overloaded: #{n} events waiting, refusing new ones")

    {:reply, {:error, :overloaded}, %{state | overloaded?: true}}
  end

  def handle_call({:record, event}, _from, state) do
    state = %{state | buffer: :queue.in(event, state.buffer), buffered: state.buffered + 1}
    {:reply, :ok, write_next(%{state | overloaded?: false})}
  end

  @impl true
  def handle_info({ref, result}, state) when is_map_key(state.writing, ref) do
    Process.demonitor(ref, [:flush])
    if result != :ok, do: Logger.error("audit store refused an event: #{inspect(result)}")
    {:noreply, %{state | writing: Map.delete(state.writing, ref), buffered: state.buffered - 1}}
  end

  # Starts a write for every buffered event.
  defp write_next(state) do
    case :queue.out(state.buffer) do
      {{:value, event}, rest} ->
        write = state.write
        task = Task.async(fn -> write.(event) end)
        write_next(%{state | buffer: rest, writing: Map.put(state.writing, task.ref, task)})

      {:empty, _buffer} ->
        state
    end
  end
end
