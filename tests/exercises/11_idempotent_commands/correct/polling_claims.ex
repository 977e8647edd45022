# Correct, another style: a claim on a running key answers :running and the duplicate polls (sleeps, claims again); the owner is monitored for kills, and a command that raises, exits or throws releases the claim in a catch-all clause that re-raises.
defmodule Payments.Idempotency do
  @moduledoc """
  Runs a command with side effects at most once per idempotency key.
  See the exercise for the full contract.
  """
  use GenServer

  @poll_ms 10

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  def run(store, key, command) when is_function(command, 0) do
    case GenServer.call(store, {:claim, key}) do
      {:done, reply} ->
        reply

      :running ->
        Process.sleep(@poll_ms)
        run(store, key, command)

      :yours ->
        try do
          command.()
        catch
          kind, reason ->
            GenServer.call(store, {:release, key})
            :erlang.raise(kind, reason, __STACKTRACE__)
        else
          reply ->
            GenServer.call(store, {:complete, key, reply})
            reply
        end
    end
  end

  @impl true
  def init(:ok), do: {:ok, %{}}

  @impl true
  def handle_call({:claim, key}, {pid, _tag}, state) do
    case state do
      %{^key => {:done, reply}} -> {:reply, {:done, reply}, state}
      %{^key => {:running, _pid, _ref}} -> {:reply, :running, state}
      %{} -> {:reply, :yours, Map.put(state, key, {:running, pid, Process.monitor(pid)})}
    end
  end

  def handle_call({:complete, key, reply}, {pid, _tag}, state) do
    case state do
      %{^key => {:running, ^pid, ref}} ->
        Process.demonitor(ref, [:flush])
        {:reply, :ok, Map.put(state, key, {:done, reply})}

      %{} ->
        {:reply, :ok, state}
    end
  end

  def handle_call({:release, key}, {pid, _tag}, state) do
    case state do
      %{^key => {:running, ^pid, ref}} ->
        Process.demonitor(ref, [:flush])
        {:reply, :ok, Map.delete(state, key)}

      %{} ->
        {:reply, :ok, state}
    end
  end

  @impl true
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    {:noreply, Map.reject(state, fn {_key, entry} -> match?({:running, _, ^ref}, entry) end)}
  end
end
