defmodule IExKernel.Errors do
  @moduledoc """
  Turns a raise, throw or exit into Jupyter's error shape: `ename`, `evalue`, `traceback`.

  The stacktrace is pruned of the evaluation machinery (`:erl_eval`, `:elixir*`, this kernel)
  so the learner sees only frames of their own code and the libraries it called.
  """

  @machinery [:erl_eval, :elixir, :elixir_eval, :elixir_expand, :elixir_dispatch, :elixir_def,
              :elixir_module, :elixir_compiler, :elixir_lexical, :elixir_clauses, :elixir_fn,
              :elixir_map, :elixir_quote, :elixir_utils, :elixir_env, Code, Module.ParallelChecker,
              IEx.Evaluator, IEx.Server]

  @red "\e[0;31m"
  @reset "\e[0m"

  @doc "The Jupyter error fields for `kind`/`reason` raised with `stacktrace`."
  def format(kind, reason, stacktrace) do
    stacktrace = prune(stacktrace)
    {ename, evalue, banner} = describe(kind, reason, stacktrace)

    frames =
      case stacktrace do
        [] -> []
        _ -> stacktrace |> Exception.format_stacktrace() |> String.trim_trailing() |> String.split("\n")
      end

    %{ename: ename, evalue: evalue, traceback: [@red <> banner <> @reset | frames]}
  end

  @doc "The error for a cell that could not be parsed, with the offending line shown."
  def syntax(code, {meta, message, token}, file) do
    {message, token} = message_parts(message, token)
    line = Keyword.get(meta, :line, 1)
    column = Keyword.get(meta, :column)
    ename = if token == "", do: "TokenMissingError", else: "SyntaxError"
    evalue = "#{file}:#{line}#{if column, do: ":#{column}"}: #{message}#{token}"
    source = code |> String.split("\n") |> Enum.at(line - 1, "")
    pointer = if column, do: [String.duplicate(" ", column - 1) <> "^"], else: []

    %{ename: ename, evalue: evalue,
      traceback: [@red <> "** (#{ename}) " <> evalue <> @reset, "    " <> source | Enum.map(pointer, &("    " <> &1))]}
  end

  @doc """
  Runs `fun`; a `CompileError` it raises says what went wrong. From Elixir 1.15 on, the compiler
  prints each error as a diagnostic and raises only "cannot compile file (errors have been
  logged)": the diagnostics' messages are put back into the error. Diagnostics are still printed.
  """
  def with_compile_diagnostics(fun) do
    if function_exported?(Code, :with_diagnostics, 2) do
      # apply/3: Code.with_diagnostics/2 does not exist on 1.14, whose compiler would warn.
      {result, diagnostics} = apply(Code, :with_diagnostics, [[log: true], fn -> caught(fun) end])
      unwrap(result, for(%{severity: :error, message: message} <- diagnostics, do: message))
    else
      fun.()
    end
  end

  defp caught(fun) do
    {:ok, fun.()}
  catch
    kind, reason -> {kind, reason, __STACKTRACE__}
  end

  defp unwrap({:ok, value}, _errors), do: value

  defp unwrap({:error, %CompileError{} = error, stacktrace}, [_ | _] = errors),
    do: reraise(%{error | description: Enum.join(errors, "\n")}, stacktrace)

  defp unwrap({kind, reason, stacktrace}, _errors), do: :erlang.raise(kind, reason, stacktrace)

  @doc "Removes the frames of the evaluation machinery."
  def prune(stacktrace) do
    Enum.reject(stacktrace, fn
      {mod, _, _, _} -> mod in @machinery or kernel_module?(mod)
      _ -> false
    end)
  end

  defp describe(:error, reason, stacktrace) do
    exception = Exception.normalize(:error, reason, stacktrace)
    {exception, _} = Exception.blame(:error, exception, stacktrace)
    name = exception.__struct__ |> inspect()
    message = Exception.message(exception)
    {name, message, "** (#{name}) " <> message}
  end

  defp describe(:throw, value, _), do: {"throw", inspect(value), "** (throw) " <> inspect(value)}

  defp describe(:exit, reason, _) do
    message = Exception.format_exit(reason)
    {"exit", message, "** (exit) " <> message}
  end

  defp message_parts({prefix, suffix}, token) when is_binary(prefix),
    do: {prefix, token <> suffix}

  defp message_parts(message, token), do: {message, token}

  defp kernel_module?(mod), do: String.starts_with?(Atom.to_string(mod), "Elixir.IExKernel.")
end
