# Half-fix (hint 1): moves the events into a :queue in the state and drains it with self-sent messages; casts still pile up.
defmodule Audit.Writer do
  @moduledoc "Writes audit events to the audit store, one at a time, in order."
  use GenServer

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  def record(writer \\ __MODULE__, event) do
    GenServer.cast(writer, {:record, event})
  end

  @impl true
  def init(opts) do
    {:ok, %{write: Keyword.get(opts, :write, &Audit.Store.write/1), queue: :queue.new()}}
  end

  @impl true
  def handle_cast({:record, event}, state) do
    if :queue.is_empty(state.queue), do: send(self(), :drain)
    {:noreply, %{state | queue: :queue.in(event, state.queue)}}
  end

  @impl true
  def handle_info(:drain, state) do
    case :queue.out(state.queue) do
      {{:value, event}, rest} ->
        :ok = state.write.(event)
        unless :queue.is_empty(rest), do: send(self(), :drain)
        {:noreply, %{state | queue: rest}}

      {:empty, _} ->
        {:noreply, state}
    end
  end
end
