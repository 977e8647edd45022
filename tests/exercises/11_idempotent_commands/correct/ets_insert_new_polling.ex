# Correct, another style: a public ETS table, :ets.insert_new/2 as the atomic claim, duplicates poll; stale claims of dead owners are taken over.
defmodule Payments.Idempotency do
  @moduledoc """
  Runs a command with side effects at most once per idempotency key.
  See the exercise for the full contract.
  """
  use GenServer

  @poll_ms 5
  @wait_ms 15_000

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  def run(store, key, command) when is_function(command, 0) do
    table = GenServer.call(store, :table)
    deadline = System.monotonic_time(:millisecond) + @wait_ms
    attempt(table, key, command, deadline)
  end

  defp attempt(table, key, command, deadline) do
    if :ets.insert_new(table, {key, {:running, self()}}) do
      execute(table, key, command)
    else
      case :ets.lookup(table, key) do
        [{^key, {:done, reply}}] ->
          reply

        [{^key, {:running, owner}} = claim] ->
          # delete_object/2 removes this exact claim only, so a newer claim is never lost.
          unless Process.alive?(owner), do: :ets.delete_object(table, claim)
          wait(table, key, command, deadline)

        [] ->
          attempt(table, key, command, deadline)
      end
    end
  end

  defp wait(table, key, command, deadline) do
    if System.monotonic_time(:millisecond) > deadline, do: exit(:timeout)
    Process.sleep(@poll_ms)
    attempt(table, key, command, deadline)
  end

  defp execute(table, key, command) do
    reply = command.()
    :ets.insert(table, {key, {:done, reply}})
    reply
  after
    :ets.delete_object(table, {key, {:running, self()}})
  end

  @impl true
  def init(:ok), do: {:ok, :ets.new(__MODULE__, [:set, :public, read_concurrency: true])}

  @impl true
  def handle_call(:table, _from, table), do: {:reply, table, table}
end
