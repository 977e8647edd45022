defmodule Grader.JSON do
  @moduledoc """
  Encodes the grader's records as JSON.

  Elixir 1.14 has no JSON module and hex packages are out of reach, so this covers exactly
  what the records hold: maps, lists, strings, numbers, booleans, nil and atoms. Strings
  that are not valid UTF-8 (a learner can print any bytes) get U+FFFD in place of bad bytes.
  """

  @spec encode(term) :: iodata
  def encode(nil), do: "null"
  def encode(true), do: "true"
  def encode(false), do: "false"
  def encode(value) when is_atom(value), do: encode_string(Atom.to_string(value))
  def encode(value) when is_integer(value), do: Integer.to_string(value)
  def encode(value) when is_float(value), do: :erlang.float_to_binary(value, [:short])
  def encode(value) when is_binary(value), do: encode_string(value)
  def encode(value) when is_list(value), do: [?[, value |> Enum.map(&encode/1) |> Enum.intersperse(?,), ?]]

  def encode(value) when is_map(value) do
    pairs = Enum.map(value, fn {key, val} -> [encode_string(to_string(key)), ?:, encode(val)] end)
    [?{, Enum.intersperse(pairs, ?,), ?}]
  end

  def encode(value), do: encode_string(inspect(value))

  defp encode_string(string), do: [?", escape(valid_utf8(string)), ?"]

  defp valid_utf8(string) do
    if String.valid?(string) do
      string
    else
      string
      |> String.chunk(:valid)
      |> Enum.map_join(fn chunk -> if String.valid?(chunk), do: chunk, else: "\uFFFD" end)
    end
  end

  defp escape(string) do
    for <<char::utf8 <- string>>, into: "", do: escape_char(char)
  end

  defp escape_char(?"), do: "\\\""
  defp escape_char(?\\), do: "\\\\"
  defp escape_char(?\n), do: "\\n"
  defp escape_char(?\r), do: "\\r"
  defp escape_char(?\t), do: "\\t"

  defp escape_char(char) when char < 0x20 or char in [0x2028, 0x2029],
    do: "\\u" <> String.pad_leading(Integer.to_string(char, 16), 4, "0")

  defp escape_char(char), do: <<char::utf8>>
end
