# Half-fix (done means 2, hint 4): the claim's monitor is kept after the command completes, and the :DOWN handler deletes the key whatever its state: once the first request's process ends, its stored reply is gone and a retry refunds again.
defmodule Payments.Idempotency do
  @moduledoc """
  Runs a command with side effects at most once per idempotency key.

  The contract of `run/3`:

    * the first request with a key runs the command and returns its reply;
    * once the command has completed, a request with the same key gets the stored reply
      and nothing runs again;
    * a request that arrives while the command is still running waits for it and gets
      the same reply;
    * requests with different keys never wait for each other;
    * if the command crashes (it raises or exits, or its process is killed), nothing is
      stored and the key is released: the next request with it, waiting or new, runs
      the command.

  `start_link/1` starts the store; it takes GenServer options such as `:name`.

  Design: one claim call decides (claimed / stored reply / wait). Waiters are parked with
  `{:noreply, state}` and answered later; when a claim is released every waiter is told
  `:retry` and claims again. The command runs in the caller, which is monitored.
  """
  use GenServer

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  def run(store, key, command) when is_function(command, 0) do
    case GenServer.call(store, {:claim, key}, :infinity) do
      {:done, reply} -> reply
      :retry -> run(store, key, command)
      {:claimed, token} -> execute(store, key, token, command)
    end
  end

  defp execute(store, key, token, command) do
    reply =
      try do
        command.()
      catch
        kind, reason ->
          GenServer.cast(store, {:release, key, token})
          :erlang.raise(kind, reason, __STACKTRACE__)
      end

    :ok = GenServer.call(store, {:complete, key, token, reply}, :infinity)
    reply
  end

  @impl true
  def init(:ok), do: {:ok, %{keys: %{}, monitors: %{}}}

  @impl true
  def handle_call({:claim, key}, {pid, _tag} = from, state) do
    case Map.fetch(state.keys, key) do
      :error ->
        ref = Process.monitor(pid)

        state = %{
          state
          | keys: Map.put(state.keys, key, {:running, ref, []}),
            monitors: Map.put(state.monitors, ref, key)
        }

        {:reply, {:claimed, ref}, state}

      {:ok, {:done, reply}} ->
        {:reply, {:done, reply}, state}

      {:ok, {:running, ref, waiters}} ->
        {:noreply, put_in(state.keys[key], {:running, ref, [from | waiters]})}
    end
  end

  def handle_call({:complete, key, token, reply}, _from, state) do
    case Map.fetch(state.keys, key) do
      {:ok, {:running, ^token, waiters}} ->
        Enum.each(Enum.reverse(waiters), &GenServer.reply(&1, {:done, reply}))
        state = %{state | keys: Map.put(state.keys, key, {:done, reply})}

        {:reply, :ok, state}

      _stale ->
        {:reply, :ok, state}
    end
  end

  @impl true
  def handle_cast({:release, key, token}, state) do
    Process.demonitor(token, [:flush])
    {:noreply, release(state, key, token)}
  end

  @impl true
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    case Map.fetch(state.monitors, ref) do
      # the owner of the key died: forget the key so the next request can run it
      {:ok, key} ->
        {:noreply, %{release(state, key, ref) | keys: Map.delete(state.keys, key)}}

      :error ->
        {:noreply, state}
    end
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp release(state, key, token) do
    case Map.fetch(state.keys, key) do
      {:ok, {:running, ^token, waiters}} ->
        Enum.each(Enum.reverse(waiters), &GenServer.reply(&1, :retry))
        %{state | keys: Map.delete(state.keys, key), monitors: Map.delete(state.monitors, token)}

      _completed_or_stale ->
        %{state | monitors: Map.delete(state.monitors, token)}
    end
  end
end
