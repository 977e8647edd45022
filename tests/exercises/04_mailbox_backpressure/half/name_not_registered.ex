# Half-fix (done means 1): the bounded buffer of hint 4, but start_link/1 drops :name: a writer started with name: Audit.Writer is not registered, and record/1 exits with :noproc.
defmodule Audit.Writer do
  @moduledoc """
  Writes audit events (who did what to which record, and when) to the audit store.

  `record/2` is answered at once from a buffer bounded by `:max_queue`; one task at a time
  writes the oldest buffered event.
  """
  use GenServer
  require Logger

  def start_link(opts) do
    GenServer.start_link(__MODULE__, Keyword.delete(opts, :name))
  end

  def record(writer \\ __MODULE__, event) do
    GenServer.call(writer, {:record, event})
  end

  @impl true
  def init(opts) do
    {:ok,
     %{
       write: Keyword.get(opts, :write, &Audit.Store.write/1),
       max_queue: Keyword.get(opts, :max_queue, 1_000),
       buffer: :queue.new(),
       buffered: 0,
       task: nil,
       refusing: false
     }}
  end

  @impl true
  def handle_call({:record, _event}, _from, %{buffered: n, max_queue: max} = state) when n >= max do
    unless state.refusing, do: Logger.warning("audit writer overloaded: refusing events")
    {:reply, {:error, :overloaded}, %{state | refusing: true}}
  end

  def handle_call({:record, event}, _from, state) do
    state = %{state | buffer: :queue.in(event, state.buffer), buffered: state.buffered + 1}
    {:reply, :ok, next(state)}
  end

  @impl true
  def handle_info({ref, _result}, %{task: %Task{ref: ref}} = state) do
    Process.demonitor(ref, [:flush])
    {:noreply, next(%{state | task: nil, refusing: false})}
  end

  defp next(%{task: nil} = state) do
    case :queue.out(state.buffer) do
      {{:value, event}, rest} ->
        write = state.write
        %{state | buffer: rest, buffered: state.buffered - 1, task: Task.async(fn -> write.(event) end)}

      {:empty, _} ->
        state
    end
  end

  defp next(state), do: state
end
