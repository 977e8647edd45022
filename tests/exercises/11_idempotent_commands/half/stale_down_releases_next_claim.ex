# Half-fix: an atomic claim, waiting duplicates, a monitor and a release in `after`; but the release keeps the failed attempt's monitor and the :DOWN handler frees whatever claim the key holds: when a caller whose command raised ends later, its :DOWN frees the claim of the retry now running the command, and the refund runs twice.
defmodule Payments.Idempotency do
  @moduledoc """
  Runs a command with side effects at most once per idempotency key.

  Clients send an idempotency key with every refund and retry with the same key when an
  answer is lost: a timeout, a dropped connection, a deploy. `Payments.Refunds` wraps the
  gateway call:

      Idempotency.run(store, key, fn -> gateway.refund(charge_id, amount) end)

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
  """
  use GenServer

  # How long a request waits for a claim or for a running duplicate before it gives up.
  @wait_timeout 15_000

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  def run(store, key, command) when is_function(command, 0) do
    case GenServer.call(store, {:claim, key}, @wait_timeout) do
      {:done, reply} -> reply
      {:claimed, token} -> execute(store, key, token, command)
      # The attempt we waited on crashed and the key is free again: claim it anew.
      :retry -> run(store, key, command)
    end
  end

  # The command runs here, in the caller, so the store never waits on a gateway and a
  # crashing command cannot take the store down.
  defp execute(store, key, token, command) do
    reply = command.()
    :ok = GenServer.call(store, {:complete, key, token, reply}, @wait_timeout)
    reply
  after
    # Every way out: after a completion this is a no-op; after a raise or an exit it
    # frees the key. (A killed caller runs no `after`: the monitor covers that.)
    GenServer.cast(store, {:release, key, token})
  end

  @impl true
  def init(:ok), do: {:ok, %{keys: %{}, owners: %{}}}

  # One call claims the key: checking and marking it cannot be interleaved.
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
  def handle_cast({:release, key, token}, state), do: {:noreply, release(state, key, token)}

  @impl true
  def handle_info({:DOWN, token, :process, _pid, _reason}, state) do
    case Map.fetch(state.owners, token) do
      {:ok, key} -> {:noreply, release_key(state, key)}
      :error -> {:noreply, state}
    end
  end

  # Nothing is stored for an attempt that did not complete; whoever waited on it claims
  # the key again, and one of them runs the command.
  defp release(state, key, token) do
    case Map.fetch(state.keys, key) do
      {:ok, {:running, ^token, waiting}} ->
        Enum.each(waiting, &GenServer.reply(&1, :retry))
        %{state | keys: Map.delete(state.keys, key)}

      _completed_or_not_ours ->
        state
    end
  end

  # The claimant of this key is gone: free the key.
  defp release_key(state, key) do
    case Map.fetch(state.keys, key) do
      {:ok, {:running, token, _waiting}} -> release(state, key, token)
      _completed -> state
    end
  end
end
