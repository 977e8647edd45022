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

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, :ok, opts)

  def run(store, key, command) when is_function(command, 0) do
    case GenServer.call(store, {:fetch, key}) do
      {:ok, reply} ->
        reply

      :error ->
        reply = command.()
        :ok = GenServer.call(store, {:put, key, reply})
        reply
    end
  end

  @impl true
  def init(:ok), do: {:ok, %{}}

  @impl true
  def handle_call({:fetch, key}, _from, replies), do: {:reply, Map.fetch(replies, key), replies}

  def handle_call({:put, key, reply}, _from, replies),
    do: {:reply, :ok, Map.put(replies, key, reply)}
end
