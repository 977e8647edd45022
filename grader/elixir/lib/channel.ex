defmodule Grader.Channel do
  @moduledoc """
  The one way results leave the sandboxed VM: JSON lines on a pipe the grader passed in
  (its file descriptor number is in `GRADER_CHANNEL_FD`).

  The grader reads results only from this pipe, never from what the learner's code prints on
  stdout or stderr. Each line starts with a per-run nonce that `open/0` reads, before any
  learner code is compiled, from a second pipe (`GRADER_SECRET_FD`) that is then empty: it is
  in no environment variable or file, so lines the learner's code writes blindly are ignored.
  The same pipe carries the hidden tests' source, which is therefore never on disk where the
  learner's code could read it.
  """
  use GenServer

  @doc """
  Starts the channel; call before any learner code is loaded.
  Returns the hidden test files handed over with the nonce, as `{name, source}` pairs.
  """
  def open do
    secret_fd = String.to_integer(System.fetch_env!("GRADER_SECRET_FD"))

    # An empty pipe means the grader called the run off (the learner's code did not compile).
    [nonce, files] =
      case String.split(read_secret(secret_fd), "\n", parts: 2) do
        [nonce, files] -> [nonce, files]
        _nothing -> System.halt(0)
      end
    fd = String.to_integer(System.fetch_env!("GRADER_CHANNEL_FD"))
    {:ok, _pid} = GenServer.start(__MODULE__, {nonce, fd}, name: __MODULE__)
    {:ok, parse_files(files)}
  end

  defp read_secret(fd) do
    port = Port.open({:fd, fd, fd}, [:in, :binary, :eof])
    secret = receive_all(port, "")
    Port.close(port)
    secret
  end

  # Files are framed as "name\nbyte_size\nsource".
  defp parse_files(""), do: []

  defp parse_files(framed) do
    [name, size, rest] = String.split(framed, "\n", parts: 3)
    size = String.to_integer(size)
    <<source::binary-size(size), rest::binary>> = rest
    [{name, source} | parse_files(rest)]
  end

  defp receive_all(port, acc) do
    receive do
      {^port, {:data, data}} -> receive_all(port, acc <> data)
      {^port, :eof} -> acc
    end
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
