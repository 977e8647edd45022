defmodule Grader.Channel do
  @moduledoc """
  The one way results leave the sandboxed VM: JSON lines on a pipe the grader passed in
  (its file descriptor number is in `GRADER_CHANNEL_FD`).

  The grader reads results only from this pipe, never from what the learner's code prints on
  stdout or stderr. Each line starts with a per-run nonce the grader handed over in the
  environment; `open/0` takes it out of the environment before any learner code is compiled,
  so lines the learner's code might write blindly are ignored.
  """
  use GenServer

  @doc "Starts the channel; call before any learner code is loaded."
  def open do
    nonce = System.get_env("GRADER_NONCE") || ""
    fd = String.to_integer(System.get_env("GRADER_CHANNEL_FD") || "3")
    System.delete_env("GRADER_NONCE")
    {:ok, _pid} = GenServer.start(__MODULE__, {nonce, fd}, name: __MODULE__)
    :ok
  end

  @doc "Writes one record (a map) and waits until it is handed to the pipe."
  def emit(record) when is_map(record), do: GenServer.call(__MODULE__, {:emit, record}, :infinity)

  @impl true
  def init({nonce, fd}) do
    port = Port.open({:fd, fd, fd}, [:out, :binary])
    {:ok, %{nonce: nonce, port: port}}
  end

  @impl true
  def handle_call({:emit, record}, _from, %{nonce: nonce, port: port} = state) do
    true = Port.command(port, [nonce, ?\s, Grader.JSON.encode(record), ?\n])
    {:reply, :ok, state}
  end
end
