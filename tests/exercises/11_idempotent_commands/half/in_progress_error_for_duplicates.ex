# Half-fix: the key is claimed atomically and released when the owner dies, but a duplicate that arrives mid-command gets {:error, :in_progress} instead of the reply.
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

      :in_progress ->
        {:error, :in_progress}

      :claimed ->
        try do
          reply = command.()
          GenServer.call(store, {:put, key, reply})
          reply
        after
          GenServer.cast(store, {:release, key, self()})
        end
    end
  end

  @impl true
  def init(:ok), do: {:ok, %{}}

  @impl true
  def handle_call({:claim, key}, {pid, _}, state) do
    case Map.get(state, key) do
      {:done, reply} ->
        {:reply, {:done, reply}, state}

      {:running, _pid, _ref} ->
        {:reply, :in_progress, state}

      nil ->
        {:reply, :claimed, Map.put(state, key, {:running, pid, Process.monitor(pid)})}
    end
  end

  def handle_call({:put, key, reply}, _from, state),
    do: {:reply, :ok, Map.put(state, key, {:done, reply})}

  @impl true
  def handle_cast({:release, key, pid}, state) do
    case Map.get(state, key) do
      {:running, ^pid, ref} ->
        Process.demonitor(ref, [:flush])
        {:noreply, Map.delete(state, key)}

      _ ->
        {:noreply, state}
    end
  end

  @impl true
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    {:noreply, Map.reject(state, fn {_key, entry} -> match?({:running, _, ^ref}, entry) end)}
  end
end
