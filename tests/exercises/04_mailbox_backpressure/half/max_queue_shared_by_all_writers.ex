# Half-fix (done means 1): sheds in the caller, but publishes :max_queue under one :persistent_term key for the module: the last writer started sets the limit of every writer.
defmodule Audit.Writer do
  @moduledoc """
  Writes audit events (who did what to which record, and when) to the audit store.

  Load shedding at the caller: `record/2` compares the writer's mailbox with `:max_queue`
  and refuses with `{:error, :overloaded}` instead of casting when it is full.
  """
  use GenServer

  @key {__MODULE__, :max_queue}

  def start_link(opts) do
    :persistent_term.put(@key, Keyword.get(opts, :max_queue, 1_000))
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  def record(writer \\ __MODULE__, event) do
    pid = GenServer.whereis(writer) || exit({:noproc, {__MODULE__, :record, [writer, event]}})

    case Process.info(pid, :message_queue_len) do
      {:message_queue_len, n} ->
        if n >= :persistent_term.get(@key, 1_000),
          do: {:error, :overloaded},
          else: GenServer.cast(pid, {:record, event})

      nil ->
        exit({:noproc, {__MODULE__, :record, [writer, event]}})
    end
  end

  @impl true
  def init(opts) do
    {:ok, %{write: Keyword.get(opts, :write, &Audit.Store.write/1)}}
  end

  @impl true
  def handle_cast({:record, event}, state) do
    :ok = state.write.(event)
    {:noreply, state}
  end
end
