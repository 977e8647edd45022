defmodule IExKernel.IOProxy do
  @moduledoc """
  The group leader of every cell and of every process a cell spawns.

  Output is forwarded to the session's stdout, where the Python kernel streams it into the
  notebook while the cell runs. Input requests (`IO.gets/1` and friends) become Jupyter
  `input_request`s: IEx's own stdin carries the kernel's commands, so a cell must never read
  from it. Input is served from a `StringIO` holding the line the user typed, which gives
  every form of the Erlang I/O protocol (get_line, get_chars, get_until) for free.
  """

  alias IExKernel.Wire

  defstruct cell: nil, allow_stdin: false, waiting: nil, buffer: nil

  def start, do: spawn(fn -> loop(%__MODULE__{}) end)

  @doc "Tells the proxy which cell is running, and whether its frontend can answer input."
  def cell_started(proxy, id, allow_stdin), do: send(proxy, {:cell_started, id, allow_stdin})
  def cell_finished(proxy), do: send(proxy, :cell_finished)
  def input_reply(proxy, id, text), do: send(proxy, {:input_reply, id, text})

  defp loop(state) do
    receive do
      {:io_request, from, reply_as, request} -> loop(io_request(state, from, reply_as, request))
      {:cell_started, id, allow_stdin} -> loop(%{drop_buffer(state) | cell: id, allow_stdin: allow_stdin})
      :cell_finished -> loop(cancel_input(%{state | cell: nil}))
      {:input_reply, id, text} -> loop(answer_input(state, id, text))
      _other -> loop(state)
    end
  end

  defp io_request(state, from, reply_as, request) do
    case output(request) do
      {:ok, chars} ->
        IO.write(:user, chars)
        reply(from, reply_as, :ok)
        state

      {:error, _} = error ->
        reply(from, reply_as, error)
        state

      :input ->
        input(state, from, reply_as, request)
    end
  end

  defp output({:put_chars, encoding, chars}), do: to_utf8(chars, encoding)

  defp output({:put_chars, encoding, mod, fun, args}) do
    to_utf8(apply(mod, fun, args), encoding)
  rescue
    _ -> {:error, :put_chars}
  end

  defp output({:requests, requests}) do
    Enum.reduce_while(requests, {:ok, []}, fn request, {:ok, acc} ->
      case output(request) do
        {:ok, chars} -> {:cont, {:ok, [acc, chars]}}
        other -> {:halt, other}
      end
    end)
  end

  defp output({:setopts, _}), do: {:ok, []}
  defp output({:getopts}), do: {:error, :enotsup}
  defp output({:get_geometry, _}), do: {:error, :enotsup}

  defp output(request) when elem(request, 0) in [:get_line, :get_chars, :get_until, :get_password],
    do: :input

  defp output(_), do: {:error, :request}

  defp to_utf8(chars, :latin1), do: {:ok, :unicode.characters_to_binary(chars, :latin1, :unicode)}

  defp to_utf8(chars, _unicode) do
    case :unicode.characters_to_binary(chars) do
      bin when is_binary(bin) -> {:ok, bin}
      _ -> {:error, :no_translation}
    end
  end

  # Input: answered from the buffer if the last line typed is not used up, else asked of the user.
  defp input(%{waiting: nil} = state, from, reply_as, request) do
    cond do
      state.buffer != nil and StringIO.contents(state.buffer) != {"", ""} ->
        serve(state, from, reply_as, request)

      state.cell != nil and state.allow_stdin ->
        Wire.send_frame(%{type: "input", id: state.cell, prompt: prompt(request),
                          password: elem(request, 0) == :get_password})
        %{state | waiting: {from, reply_as, request}}

      true ->
        reply(from, reply_as, :eof)
        state
    end
  end

  # One input at a time, as on a terminal: a second reader waits for the first one's line.
  defp input(state, from, reply_as, _request) do
    reply(from, reply_as, {:error, :ebusy})
    state
  end

  defp answer_input(%{waiting: {from, reply_as, _request}, cell: id} = state, id, :eof) do
    reply(from, reply_as, :eof)
    %{state | waiting: nil}
  end

  defp answer_input(%{waiting: {from, reply_as, request}, cell: id} = state, id, text) do
    if state.buffer, do: StringIO.close(state.buffer)
    {:ok, buffer} = StringIO.open(text)
    serve(%{state | buffer: buffer, waiting: nil}, from, reply_as, request)
  end

  defp answer_input(state, _id, _text), do: state

  defp serve(state, from, reply_as, request) do
    request = if elem(request, 0) == :get_password, do: {:get_line, :unicode, ""}, else: request
    ref = make_ref()
    send(state.buffer, {:io_request, self(), ref, request})

    receive do
      {:io_reply, ^ref, answer} -> reply(from, reply_as, answer)
    end

    state
  end

  # What the user typed for one cell is not read by the next.
  defp drop_buffer(%{buffer: nil} = state), do: state

  defp drop_buffer(state) do
    StringIO.close(state.buffer)
    %{state | buffer: nil}
  end

  defp cancel_input(%{waiting: {from, reply_as, _}} = state) do
    reply(from, reply_as, {:error, :interrupted})
    %{state | waiting: nil}
  end

  defp cancel_input(state), do: state

  defp prompt(request) do
    case request do
      {:get_line, _enc, prompt} -> prompt
      {:get_chars, _enc, prompt, _n} -> prompt
      {:get_until, _enc, prompt, _m, _f, _a} -> prompt
      {:get_password, _enc} -> ""
      _ -> ""
    end
    |> IO.chardata_to_string()
  rescue
    _ -> ""
  end

  defp reply(from, reply_as, answer), do: send(from, {:io_reply, reply_as, answer})
end
