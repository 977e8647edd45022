defmodule IExKernel.Evaluator do
  @moduledoc """
  The process that runs cells, one after another, as IEx's evaluator does.

  It is long-lived, so `self()`, its mailbox and its links carry over from cell to cell.
  It holds no state worth keeping: the binding and the environment come from
  `IExKernel.Session` with each cell and go back with the result, so when this process is
  killed (an interrupt) or dies (a linked process crashed), the session starts a new one and
  nothing the learner defined is lost.
  """

  alias IExKernel.{Display, Errors}

  def start(session, group_leader) do
    spawn(fn ->
      Process.group_leader(self(), group_leader)
      loop(session)
    end)
  end

  defp loop(session) do
    # Selective receive: messages the learner's code sent to itself stay in the mailbox.
    receive do
      {IExKernel.Evaluator, ref, {:eval, path, file, binding, env}} ->
        send(session, {IExKernel.Evaluator, ref, eval_file(path, file, binding, env)})
        loop(session)
    end
  end

  @doc false
  def eval_file(path, file, binding, env) do
    with {:ok, code} <- read_cell(path),
         {:ok, quoted} <- parse(code, file) do
      eval(quoted, binding, %{env | file: file})
    end
  end

  defp read_cell(path) do
    code = File.read!(path)
    File.rm(path)

    if String.valid?(code) do
      {:ok, code}
    else
      {valid, _} = String.chunk(code, :valid) |> Enum.split_while(&String.valid?/1)
      offset = valid |> Enum.map(&byte_size/1) |> Enum.sum()

      {:error, %{ename: "UnicodeError",
                 evalue: "the cell is not valid UTF-8 (first bad byte at offset #{offset}); retype the character there",
                 traceback: ["** (UnicodeError) the cell is not valid UTF-8 (first bad byte at offset #{offset})"]}}
    end
  end

  defp parse(code, file) do
    case Code.string_to_quoted(code, file: file, columns: true) do
      {:ok, quoted} -> {:ok, quoted}
      {:error, error} -> {:error, Errors.syntax(code, error, file)}
    end
  end

  defp eval(quoted, binding, env) do
    {value, binding, env} = Code.eval_quoted_with_env(without_helpers_in_modules(quoted), binding, env)
    {:ok, render(value, quoted), binding, env}
  catch
    kind, reason -> {:error, Errors.format(kind, reason, __STACKTRACE__)}
  end

  # Cells import IEx.Helpers (h, i, c, b, r, ...), as IEx does; a module defined in a cell
  # must not inherit them, or its own `def b(x)` would conflict with the helper.
  defp without_helpers_in_modules(quoted) do
    Macro.prewalk(quoted, fn
      {:defmodule, meta, [name, [{:do, body}]]} ->
        unimport = quote(do: import(IEx.Helpers, only: [], warn: false))
        {:defmodule, meta, [name, [do: {:__block__, [], [unimport, body]}]]}

      other ->
        other
    end)
  end

  # An empty cell or one of only comments shows nothing, as does IEx.dont_display_result/0.
  defp render(_value, {:__block__, _, []}), do: nil
  defp render(:"do not show this result in output", _), do: nil
  defp render(%Display{} = display, _), do: Display.bundle(display)
  defp render(value, _), do: %{"text/plain" => inspect(value, pretty: true, width: 80)}
end
