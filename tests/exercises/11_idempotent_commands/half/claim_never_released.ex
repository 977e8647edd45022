# Half-fix: an atomic claim with waiting duplicates, but nothing watches the claim: an attempt that crashes leaves its key stuck and its waiters hanging.
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

      :claimed ->
        reply = command.()
        GenServer.call(store, {:complete, key, reply})
        reply
    end
  end

  @impl true
  def init(:ok), do: {:ok, %{}}

  @impl true
  def handle_call({:claim, key}, from, state) do
    case Map.get(state, key) do
      {:done, reply} -> {:reply, {:done, reply}, state}
      {:running, waiting} -> {:noreply, Map.put(state, key, {:running, [from | waiting]})}
      nil -> {:reply, :claimed, Map.put(state, key, {:running, []})}
    end
  end

  def handle_call({:complete, key, reply}, _from, state) do
    {:running, waiting} = Map.fetch!(state, key)
    Enum.each(waiting, &GenServer.reply(&1, {:done, reply}))
    {:reply, :ok, Map.put(state, key, {:done, reply})}
  end
end
