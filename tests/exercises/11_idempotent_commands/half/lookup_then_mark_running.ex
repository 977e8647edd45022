# Half-fix: three states, waiting duplicates, a monitor and a release on every way out; but looking the key up and marking it running are two calls, so requests that look up in between all see "absent" and all run the command.
defmodule Payments.Idempotency do
  @moduledoc """
  Runs a command with side effects at most once per idempotency key.
  See the exercise for the full contract.
  """
  use GenServer

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  def run(store, key, command) when is_function(command, 0) do
    case GenServer.call(store, {:lookup, key}) do
      {:done, reply} ->
        reply

      :running ->
        case GenServer.call(store, {:await, key}, 15_000) do
          {:done, reply} -> reply
          :retry -> run(store, key, command)
        end

      :absent ->
        :ok = GenServer.call(store, {:mark_running, key})

        try do
          reply = command.()
          :ok = GenServer.call(store, {:complete, key, reply})
          reply
        after
          GenServer.cast(store, {:release, key, self()})
        end
    end
  end

  @impl true
  def init(:ok), do: {:ok, %{}}

  @impl true
  def handle_call({:lookup, key}, _from, state) do
    case Map.get(state, key) do
      {:done, reply} -> {:reply, {:done, reply}, state}
      {:running, _pid, _ref, _waiting} -> {:reply, :running, state}
      nil -> {:reply, :absent, state}
    end
  end

  def handle_call({:await, key}, from, state) do
    case Map.get(state, key) do
      {:done, reply} ->
        {:reply, {:done, reply}, state}

      {:running, pid, ref, waiting} ->
        {:noreply, Map.put(state, key, {:running, pid, ref, [from | waiting]})}

      nil ->
        {:reply, :retry, state}
    end
  end

  def handle_call({:mark_running, key}, {pid, _tag}, state) do
    {:reply, :ok, Map.put(state, key, {:running, pid, Process.monitor(pid), []})}
  end

  def handle_call({:complete, key, reply}, {pid, _tag}, state) do
    case Map.get(state, key) do
      {:running, ^pid, ref, waiting} ->
        Process.demonitor(ref, [:flush])
        Enum.each(waiting, &GenServer.reply(&1, {:done, reply}))
        {:reply, :ok, Map.put(state, key, {:done, reply})}

      _other ->
        {:reply, :ok, Map.put(state, key, {:done, reply})}
    end
  end

  @impl true
  def handle_cast({:release, key, pid}, state) do
    case Map.get(state, key) do
      {:running, ^pid, ref, waiting} -> {:noreply, release(state, key, ref, waiting)}
      _done_or_not_ours -> {:noreply, state}
    end
  end

  @impl true
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    case Enum.find(state, fn {_key, entry} -> match?({:running, _, ^ref, _}, entry) end) do
      {key, {:running, _pid, ^ref, waiting}} -> {:noreply, release(state, key, ref, waiting)}
      nil -> {:noreply, state}
    end
  end

  defp release(state, key, ref, waiting) do
    Process.demonitor(ref, [:flush])
    Enum.each(waiting, &GenServer.reply(&1, :retry))
    Map.delete(state, key)
  end
end
