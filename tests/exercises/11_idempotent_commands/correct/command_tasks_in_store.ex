# Correct, another style: the store runs each key's command in a supervised task and answers every caller of that key; a crashed task hands the key to the next waiter's command.
defmodule Payments.Idempotency do
  @moduledoc """
  Runs a command with side effects at most once per idempotency key.
  See the exercise for the full contract.
  """
  use GenServer

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  def run(store, key, command) when is_function(command, 0) do
    case GenServer.call(store, {:run, key, command}, 15_000) do
      {:reply, reply} -> reply
      {:crashed, reason} -> exit({:command_crashed, reason})
    end
  end

  @impl true
  def init(:ok) do
    {:ok, tasks} = Task.Supervisor.start_link()
    {:ok, %{tasks: tasks, replies: %{}, running: %{}}}
  end

  @impl true
  def handle_call({:run, key, command}, from, state) do
    cond do
      Map.has_key?(state.replies, key) ->
        {:reply, {:reply, state.replies[key]}, state}

      Map.has_key?(state.running, key) ->
        {:noreply, update_in(state.running[key].waiting, &(&1 ++ [{from, command}]))}

      true ->
        {:noreply, start(state, key, [{from, command}])}
    end
  end

  @impl true
  def handle_info({ref, reply}, state) when is_reference(ref) do
    Process.demonitor(ref, [:flush])
    {key, %{waiting: waiting}} = Enum.find(state.running, fn {_k, r} -> r.ref == ref end)
    Enum.each(waiting, fn {from, _command} -> GenServer.reply(from, {:reply, reply}) end)

    {:noreply,
     %{
       state
       | running: Map.delete(state.running, key),
         replies: Map.put(state.replies, key, reply)
     }}
  end

  def handle_info({:DOWN, ref, :process, _pid, reason}, state) do
    case Enum.find(state.running, fn {_k, r} -> r.ref == ref end) do
      nil ->
        {:noreply, state}

      # The request whose command crashed hears so; the next one in line runs its own.
      {key, %{waiting: [{from, _} | rest]}} ->
        GenServer.reply(from, {:crashed, reason})
        state = %{state | running: Map.delete(state.running, key)}
        {:noreply, if(rest == [], do: state, else: start(state, key, rest))}
    end
  end

  defp start(state, key, [{_from, command} | _] = waiting) do
    task = Task.Supervisor.async_nolink(state.tasks, command)
    put_in(state.running[key], %{ref: task.ref, waiting: waiting})
  end
end
