defmodule IExKernel do
  @moduledoc """
  The commands the Python kernel types at the IEx prompt, one line each.

  Each returns at once (the work happens in `IExKernel.Session`), so IEx is always free
  to read the next command, an interrupt or an input reply included. Code travels in files
  of the session's private folder, never through the prompt: a cell may be any size and
  hold any bytes.
  """

  alias IExKernel.{Complete, Docs, Session, Wire}

  @hidden :"do not show this result in output"

  @doc "Starts the session's processes and greets the kernel with the versions."
  def start(dir, nonce) do
    Wire.set_nonce(nonce)
    Course.Log.configure()
    Course.Inspect.configure()
    {:ok, _} = Session.start(dir)
    Wire.send_frame(%{type: "hello", elixir: System.version(), otp: System.otp_release()})
    @hidden
  end

  def execute(id, count, allow_stdin), do: tap_hidden(fn -> Session.execute(id, count, allow_stdin) end)
  def interrupt, do: tap_hidden(&Session.interrupt/0)
  def input(id), do: tap_hidden(fn -> Session.input_reply(id) end)
  def complete(id), do: tap_hidden(fn -> Session.request(id, &Complete.complete/3) end)
  def inspect_at(id), do: tap_hidden(fn -> Session.request(id, &Docs.inspect_at/3) end)
  def is_complete(id), do: tap_hidden(fn -> Session.request(id, fn code, _, _ -> completeness(code) end) end)

  @doc """
  Whether `code` is a whole cell, without evaluating it: `defmodule A do` is incomplete.

      iex> IExKernel.completeness("defmodule A do")
      %{status: "incomplete", indent: "  "}
  """
  def completeness(code) do
    case Code.string_to_quoted(code) do
      {:ok, _} -> %{status: "complete"}
      {:error, {_meta, _message, ""}} -> %{status: "incomplete", indent: "  "}
      {:error, _} -> %{status: "invalid"}
    end
  end

  defp tap_hidden(fun) do
    fun.()
    @hidden
  end
end
