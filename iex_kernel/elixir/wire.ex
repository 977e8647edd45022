defmodule IExKernel.Wire do
  @moduledoc """
  Frames sent to the Python kernel over the session's stdout.

  Learner output and frames share one stream, so a frame is wrapped in markers that carry
  the session's random nonce: `STX nonce payload ETX`. The payload is JSON with every
  non-ASCII character escaped, so a frame is plain ASCII whatever the device encoding is.
  Elixir 1.14 ships no JSON module; the encoder below covers exactly what frames contain.
  """

  @doc "Writes one frame (a map) to the session's stdout."
  def send_frame(frame) when is_map(frame) do
    IO.write(:user, [start_marker(), encode(frame), "\x03"])
  end

  @doc "The prompt IEx prints when it waits for the next command: a frame of its own kind."
  def prompt, do: start_marker() <> "P\x03"

  defp start_marker, do: "\x02" <> :persistent_term.get({__MODULE__, :nonce}, "") <> ":"

  def set_nonce(nonce), do: :persistent_term.put({__MODULE__, :nonce}, nonce)

  @doc ~S"""
  Encodes a term as ASCII-only JSON.

      iex> IExKernel.Wire.encode(%{"a" => [1, 2.5, true, nil, "é"]}) |> IO.iodata_to_binary()
      ~S({"a":[1,2.5,true,null,"\u00e9"]})
  """
  def encode(nil), do: "null"
  def encode(true), do: "true"
  def encode(false), do: "false"
  def encode(atom) when is_atom(atom), do: encode(Atom.to_string(atom))
  def encode(int) when is_integer(int), do: Integer.to_string(int)
  def encode(float) when is_float(float), do: Float.to_string(float)
  def encode(bin) when is_binary(bin), do: [?", escape(bin, []), ?"]
  def encode(list) when is_list(list), do: [?[, Enum.map_intersperse(list, ?,, &encode/1), ?]]

  def encode(map) when is_map(map) do
    pairs = Enum.map_intersperse(map, ?,, fn {k, v} -> [encode(to_key(k)), ?:, encode(v)] end)
    [?{, pairs, ?}]
  end

  def encode(other), do: encode(inspect(other))

  defp to_key(k) when is_binary(k), do: k
  defp to_key(k) when is_atom(k), do: Atom.to_string(k)
  defp to_key(k), do: inspect(k)

  defp escape(<<>>, acc), do: Enum.reverse(acc)
  defp escape(<<?", rest::binary>>, acc), do: escape(rest, ["\\\"" | acc])
  defp escape(<<?\\, rest::binary>>, acc), do: escape(rest, ["\\\\" | acc])
  defp escape(<<?\n, rest::binary>>, acc), do: escape(rest, ["\\n" | acc])
  defp escape(<<?\r, rest::binary>>, acc), do: escape(rest, ["\\r" | acc])
  defp escape(<<?\t, rest::binary>>, acc), do: escape(rest, ["\\t" | acc])

  defp escape(<<c, rest::binary>>, acc) when c < 0x20 or c == 0x7F,
    do: escape(rest, [hex(c) | acc])

  defp escape(<<c, rest::binary>>, acc) when c < 0x80, do: escape(rest, [c | acc])

  defp escape(<<c::utf8, rest::binary>>, acc) when c > 0xFFFF do
    c = c - 0x10000
    escape(rest, [hex(0xDC00 + Bitwise.band(c, 0x3FF)), hex(0xD800 + Bitwise.bsr(c, 10)) | acc])
  end

  defp escape(<<c::utf8, rest::binary>>, acc), do: escape(rest, [hex(c) | acc])
  # A byte that is not UTF-8: shown as U+FFFD rather than breaking the frame.
  defp escape(<<_, rest::binary>>, acc), do: escape(rest, ["\\ufffd" | acc])

  defp hex(c), do: "\\u" <> String.pad_leading(Integer.to_string(c, 16) |> String.downcase(), 4, "0")
end
