# Half-fix: an atomic claim, waiting duplicates, a monitor and a release in `after`; but only the :DOWN path answers the waiters: a release after a command that raised in a surviving caller deletes the key and leaves the requests waiting on it hanging.
defmodule Payments.Idempotency do
  @moduledoc """
  Runs a command with side effects at most once per idempotency key.
  See the exercise for the full contract.
  """
  use GenServer

  @wait_timeout 15_000

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  def run(store, key, command) when is_function(command, 0) do
    case GenServer.call(store, {:claim, key}, @wait_timeout) do
      {:done, reply} -> reply
      {:claimed, token} -> execute(store, key, token, command)
      :retry -> run(store, key, command)
    end
  end

  defp execute(store, key, token, command) do
    reply = command.()
    :ok = GenServer.call(store, {:complete, key, token, reply}, @wait_timeout)
    reply
  after
    GenServer.cast(store, {:release, key, token})
  end

  @impl true
  def init(:ok), do: {:ok, %{keys: %{}, owners: %{}}}

  @impl true
  def handle_call({:claim, key}, {caller, _tag} = from, state) do
    case Map.fetch(state.keys, key) do
      {:ok, {:done, reply}} ->
        {:reply, {:done, reply}, state}

      {:ok, {:running, token, waiting}} ->
        {:noreply, put_in(state.keys[key], {:running, token, [from | waiting]})}

      :error ->
        token = Process.monitor(caller)
        state = %{state | owners: Map.put(state.owners, token, key)}
        {:reply, {:claimed, token}, put_in(state.keys[key], {:running, token, []})}
    end
  end

  def handle_call({:complete, key, token, reply}, _from, state) do
    case Map.fetch(state.keys, key) do
      {:ok, {:running, ^token, waiting}} ->
        Process.demonitor(token, [:flush])
        Enum.each(waiting, &GenServer.reply(&1, {:done, reply}))
        state = %{state | owners: Map.delete(state.owners, token)}
        {:reply, :ok, put_in(state.keys[key], {:done, reply})}

      _released_meanwhile ->
        {:reply, :ok, state}
    end
  end

  @impl true
  def handle_cast({:release, key, token}, state) do
    case Map.fetch(state.keys, key) do
      {:ok, {:running, ^token, _waiting}} ->
        Process.demonitor(token, [:flush])

        {:noreply,
         %{state | keys: Map.delete(state.keys, key), owners: Map.delete(state.owners, token)}}

      _completed_or_not_ours ->
        {:noreply, state}
    end
  end

  @impl true
  def handle_info({:DOWN, token, :process, _pid, _reason}, state) do
    case Map.fetch(state.owners, token) do
      {:ok, key} -> {:noreply, release(state, key, token)}
      :error -> {:noreply, state}
    end
  end

  defp release(state, key, token) do
    case Map.fetch(state.keys, key) do
      {:ok, {:running, ^token, waiting}} ->
        Process.demonitor(token, [:flush])
        Enum.each(waiting, &GenServer.reply(&1, :retry))
        %{state | keys: Map.delete(state.keys, key), owners: Map.delete(state.owners, token)}

      _completed_or_not_ours ->
        state
    end
  end
end
