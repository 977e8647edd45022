# Half-fix (done means 1): the bounded buffer of hint 3, but :max_queue has no default: without the
# option the limit is nil, `n >= nil` is never true, and the buffer grows without bound.
defmodule Audit.Writer do
  @moduledoc "Writes audit events to the audit store from a bounded buffer."
  use GenServer
  require Logger

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
       max_queue: Keyword.get(opts, :max_queue),
       buffer: :queue.new(),
       buffered: 0,
       writing: nil,
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
  def handle_info({ref, result}, %{writing: %Task{ref: ref}} = state) do
    Process.demonitor(ref, [:flush])
    if result != :ok, do: Logger.error("audit store refused an event: #{inspect(result)}")
    {:noreply, write_next(%{state | writing: nil})}
  end

  # Starts writing the oldest buffered event, unless a write is already under way.
  defp write_next(%{writing: nil} = state) do
    case :queue.out(state.buffer) do
      {{:value, event}, rest} ->
        write = state.write
        task = Task.async(fn -> write.(event) end)
        %{state | buffer: rest, buffered: state.buffered - 1, writing: task}

      {:empty, _buffer} ->
        state
    end
  end

  defp write_next(state), do: state
end
