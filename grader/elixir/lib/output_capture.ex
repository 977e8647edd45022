defmodule Grader.OutputCapture do
  @moduledoc """
  A group leader that keeps what the code under test printed, test by test.

  It becomes the group leader of the process that runs Mix, so every test process inherits
  it. Output is passed on to the real stdout unchanged and a bounded copy is kept for the
  test that is running (tests run one at a time), to show the learner next to that test.
  """
  use GenServer

  @keep_bytes 500

  def start do
    {:ok, pid} = GenServer.start(__MODULE__, Process.group_leader(), name: __MODULE__)
    pid
  end

  @doc "Starts collecting output for the test identified by `key`."
  def begin_test(key), do: GenServer.call(__MODULE__, {:begin, key})

  @doc "Returns what was printed since `begin_test/1` and stops collecting."
  def take(key), do: GenServer.call(__MODULE__, {:take, key})

  @impl true
  def init(upstream), do: {:ok, %{upstream: upstream, key: nil, kept: [], size: 0, dropped: false}}

  @impl true
  def handle_call({:begin, key}, _from, state),
    do: {:reply, :ok, %{state | key: key, kept: [], size: 0, dropped: false}}

  def handle_call({:take, key}, _from, %{key: key} = state) do
    text = IO.iodata_to_binary(Enum.reverse(state.kept))
    text = if state.dropped, do: text <> "\n[output truncated]", else: text
    {:reply, text, %{state | key: nil, kept: [], size: 0, dropped: false}}
  end

  def handle_call({:take, _other}, _from, state), do: {:reply, "", state}

  @impl true
  def handle_info({:io_request, from, reply_as, request}, state) do
    send(state.upstream, {:io_request, from, reply_as, request})
    {:noreply, keep(state, printed(request))}
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp printed({:put_chars, encoding, chars}), do: to_text(encoding, chars)
  defp printed({:put_chars, chars}), do: to_text(:latin1, chars)

  defp printed({:put_chars, encoding, :io_lib, function, args}) do
    to_text(encoding, apply(:io_lib, function, args))
  rescue
    _ -> ""
  end

  defp printed({:requests, requests}), do: Enum.map_join(requests, &printed/1)
  defp printed(_other), do: ""

  defp to_text(encoding, chars) do
    case :unicode.characters_to_binary(chars, encoding) do
      text when is_binary(text) -> text
      _ -> ""
    end
  rescue
    _ -> ""
  end

  defp keep(%{key: nil} = state, _text), do: state
  defp keep(state, ""), do: state

  defp keep(%{size: size} = state, text) when size + byte_size(text) <= @keep_bytes,
    do: %{state | kept: [text | state.kept], size: size + byte_size(text)}

  defp keep(%{size: size} = state, text) do
    room = max(@keep_bytes - size, 0)
    %{state | kept: [binary_part(text, 0, room) | state.kept], size: @keep_bytes, dropped: true}
  end
end
