defmodule Grader.Channel do
  @moduledoc """
  The one way results leave the sandboxed VM: JSON lines on file descriptor 3.

  The grader reads results only from this pipe, never from what the learner's code prints on
  stdout or stderr. Each line starts with a per-run nonce the grader handed over in the
  environment; `open/0` takes it out of the environment before any learner code is compiled,
  so lines the learner's code might write blindly are ignored.
  """
  use GenServer

  @fd 3

  @doc "Starts the channel; call before any learner code is loaded."
  def open do
    nonce = System.get_env("GRADER_NONCE") || ""
    System.delete_env("GRADER_NONCE")
    {:ok, _pid} = GenServer.start(__MODULE__, nonce, name: __MODULE__)
    :ok
  end

  @doc "Writes one record (a map) and waits until it is handed to the pipe."
  def emit(record) when is_map(record), do: GenServer.call(__MODULE__, {:emit, record}, :infinity)

  @impl true
  def init(nonce) do
    port = Port.open({:fd, @fd, @fd}, [:out, :binary])
    {:ok, %{nonce: nonce, port: port}}
  end

  @impl true
  def handle_call({:emit, record}, _from, %{nonce: nonce, port: port} = state) do
    true = Port.command(port, [nonce, ?\s, Grader.JSON.encode(record), ?\n])
    {:reply, :ok, state}
  end
end
