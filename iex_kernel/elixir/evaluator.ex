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

  @defined {__MODULE__, :defined}

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

  @doc """
  Runs the cell in the file at `path`; returns `{outcome, modules}`, where `modules` names the
  modules the cell defined or declared, even when it failed (the check cell grades by them).
  """
  def eval_file(path, file, binding, env) do
    Process.put(@defined, [])

    with {:ok, code} <- read_cell(path),
         {:ok, quoted} <- parse(code, file) do
      outcome = eval(quoted, binding, %{env | file: file, tracers: [__MODULE__ | env.tracers -- [__MODULE__]]})
      {outcome, Enum.uniq(Enum.reverse(Process.get(@defined)) ++ declared_modules(quoted))}
    else
      error -> {error, []}
    end
  end

  @doc false
  # A compile tracer: notes each module the cell's code defines, macros and nesting included.
  def trace({:on_module, _bytecode, _none}, env) do
    Process.put(@defined, [env.module | Process.get(@defined, [])])
    :ok
  end

  def trace(_event, _env), do: :ok

  @doc """
  The modules `defmodule` forms in `quoted` declare, nested ones with their full names.

      iex> IExKernel.Evaluator.declared_modules(quote(do: (defmodule A.B, do: (defmodule C, do: nil))))
      [A.B, A.B.C]
  """
  def declared_modules(quoted), do: quoted |> declared([], []) |> Enum.reverse()

  defp declared({:defmodule, _, [{:__aliases__, _, parts}, body]}, acc, outer) when is_list(body) do
    parts = outer ++ parts
    declared(body, [Module.concat(parts) | acc], parts)
  end

  defp declared({_, _, args}, acc, outer) when is_list(args), do: declared(args, acc, outer)
  defp declared({left, right}, acc, outer), do: declared(right, declared(left, acc, outer), outer)
  defp declared(list, acc, outer) when is_list(list), do: Enum.reduce(list, acc, &declared(&1, &2, outer))
  defp declared(_other, acc, _outer), do: acc

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
    {value, binding, env} =
      Errors.with_compile_diagnostics(fn -> Code.eval_quoted_with_env(without_helpers_in_modules(quoted), binding, env) end)
    {:ok, render(value, quoted), binding, %{env | tracers: env.tracers -- [__MODULE__]}}
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

  # A cell ending in `defmodule` says what it defined, not the bytecode tuple.
  defp render({:module, module, bytecode, _}, _) when is_atom(module) and is_binary(bytecode) do
    defined = Enum.reverse(Process.get(@defined, [])) |> Enum.uniq()
    %{"text/plain" => "defined " <> Enum.map_join(if(defined == [], do: [module], else: defined), ", ", &inspect/1)}
  end
  defp render(value, _), do: %{"text/plain" => inspect(value, pretty: true, width: 80)}
end
