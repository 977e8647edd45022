defmodule Course.Inspect do
  @moduledoc """
  Maps print with their keys in order on every Erlang/OTP version.

  OTP 26 stopped keeping small maps sorted: `%{push: :sent, email: :sent}` prints in that order
  on OTP 27 and as `%{email: :sent, push: :sent}` on OTP 25, so a notebook's output would depend
  on the learner's OTP. Every `inspect/2` of the session (cell results, `IO.inspect`, log
  messages, crash reports) sorts maps, through Elixir's `sort_maps` option (1.15 on; OTP 25
  keeps small maps sorted by itself).
  """

  @doc "Makes sorted maps the session's default."
  def configure do
    Inspect.Opts.default_inspect_fun(&sorted/2)
    :ok
  end

  @doc """
  Inspects `term` as `Inspect.inspect/2` does, with maps sorted.

      iex> Course.Inspect.sorted(%{b: 1, a: 2}, %Inspect.Opts{}) |> Inspect.Algebra.format(80) |> IO.iodata_to_binary()
      "%{a: 2, b: 1}"
  """
  def sorted(term, %Inspect.Opts{custom_options: custom} = opts),
    do: Inspect.inspect(term, %{opts | custom_options: Keyword.put_new(custom, :sort_maps, true)})
end
