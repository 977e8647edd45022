# Half-fix: claims atomically, waits and releases when the owner process dies, but not when the command raises in a caller that survives: the key stays stuck.
defmodule Payments.Idempotency do
  @moduledoc """
  Runs a command with side effects at most once per idempotency key.
  See the exercise for the full contract.
  """
  use GenServer

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  def run(store, key, command) when is_function(command, 0) do
    case GenServer.call(store, {:claim, key}) do
      {:done, reply} ->
        reply

      :retry ->
        run(store, key, command)

      :claimed ->
        reply = command.()
        GenServer.call(store, {:complete, key, reply})
        reply
    end
  end

  @impl true
  def init(:ok), do: {:ok, %{}}

  @impl true
  def handle_call({:claim, key}, {pid, _} = from, state) do
    case Map.get(state, key) do
      {:done, reply} ->
        {:reply, {:done, reply}, state}

      {:running, ref, waiting} ->
        {:noreply, Map.put(state, key, {:running, ref, [from | waiting]})}

      nil ->
        {:reply, :claimed, Map.put(state, key, {:running, Process.monitor(pid), []})}
    end
  end

  def handle_call({:complete, key, reply}, _from, state) do
    {:running, ref, waiting} = Map.fetch!(state, key)
    Process.demonitor(ref, [:flush])
    Enum.each(waiting, &GenServer.reply(&1, {:done, reply}))
    {:reply, :ok, Map.put(state, key, {:done, reply})}
  end

  @impl true
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    case Enum.find(state, fn {_key, entry} -> match?({:running, ^ref, _}, entry) end) do
      {key, {:running, ^ref, waiting}} ->
        Enum.each(waiting, &GenServer.reply(&1, :retry))
        {:noreply, Map.delete(state, key)}

      nil ->
        {:noreply, state}
    end
  end
end
