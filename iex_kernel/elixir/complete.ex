defmodule IExKernel.Complete do
  @moduledoc """
  Tab completion: module names, functions of a module, variables in scope, imported
  functions and map keys, from `Code.Fragment.cursor_context/1` on the code before the cursor.

  IEx's own completion reads its evaluator's state, which is not where the notebook's
  binding lives, so this module asks the session's binding and environment instead.
  """

  @doc """
  Completes `code` (the text before the cursor) and returns `matches` plus how many
  characters before the cursor the matches replace.
  """
  def complete(code, binding, env) do
    {replace, matches} = expand(Code.Fragment.cursor_context(code), binding, env)
    matches = matches |> Enum.uniq_by(&elem(&1, 0)) |> Enum.sort()

    %{status: "ok", replace: replace, matches: Enum.map(matches, &elem(&1, 0)),
      types: Enum.map(matches, &elem(&1, 1))}
  end

  defp expand({:alias, alias}, _binding, env), do: aliases(List.to_string(alias), env)

  defp expand({:dot, {:alias, mod}, fun}, _binding, env) do
    module = resolve_alias(List.to_string(mod), env)
    prefix = List.to_string(fun)
    {String.length(prefix), functions(module, prefix)}
  end

  defp expand({:dot, {:unquoted_atom, mod}, fun}, _binding, _env) do
    prefix = List.to_string(fun)
    {String.length(prefix), functions(List.to_atom(mod), prefix)}
  end

  defp expand({:dot, {:var, var}, key}, binding, _env) do
    prefix = List.to_string(key)

    keys =
      case Keyword.fetch(binding, List.to_atom(var)) do
        {:ok, %{} = map} -> for {k, _} <- Map.delete(map, :__struct__), is_atom(k), do: {Atom.to_string(k), "key"}
        _ -> []
      end

    {String.length(prefix), Enum.filter(keys, &String.starts_with?(elem(&1, 0), prefix))}
  end

  defp expand({:unquoted_atom, name}, _binding, _env) do
    prefix = List.to_string(name)

    modules =
      for {mod, _, _} <- :code.all_available(), mod = to_string(mod),
          not String.starts_with?(mod, "Elixir."), String.starts_with?(mod, prefix),
          do: {mod, "module"}

    {String.length(prefix), modules}
  end

  defp expand({kind, name}, binding, env) when kind in [:local_or_var, :local_call] do
    prefix = List.to_string(name)
    vars = for {var, _} <- binding, is_atom(var), do: {Atom.to_string(var), "variable"}

    imported =
      for {_mod, funs} <- env.functions ++ env.macros, {fun, _arity} <- funs,
          do: {Atom.to_string(fun), "function"}

    {String.length(prefix), Enum.filter(vars ++ imported, &String.starts_with?(elem(&1, 0), prefix))}
  end

  defp expand(_context, _binding, _env), do: {0, []}

  # "En" -> Enum, Enumerable, ...; "String.Ch" -> String.Chars; aliases in scope count too.
  defp aliases(typed, env) do
    {parent, last} =
      case String.split(typed, ".") |> Enum.split(-1) do
        {[], [last]} -> {nil, last}
        {parents, [last]} -> {Enum.join(parents, "."), last}
      end

    base = if parent, do: "Elixir." <> inspect(resolve_alias(parent, env)) <> ".", else: "Elixir."

    modules =
      for {mod, _, _} <- :code.all_available(), mod = to_string(mod),
          String.starts_with?(mod, base <> last),
          segment = mod |> String.replace_prefix(base, "") |> String.split(".") |> hd(),
          do: {segment, "module"}

    in_scope =
      if parent,
        do: [],
        else: for({alias, _} <- env.aliases, name = inspect(alias), String.starts_with?(name, last), do: {name, "module"})

    {String.length(last), modules ++ in_scope}
  end

  defp functions(module, prefix) do
    if Code.ensure_loaded?(module) do
      exports =
        if function_exported?(module, :__info__, 1),
          do: module.__info__(:functions) ++ module.__info__(:macros),
          else: module.module_info(:exports)

      for {fun, _arity} <- exports, name = Atom.to_string(fun),
          String.starts_with?(name, prefix), not String.starts_with?(name, "__"),
          name != "module_info", do: {name, "function"}
    else
      []
    end
  end

  @doc "The module an alias typed in a cell stands for, given the cell's aliases."
  def resolve_alias(typed, env) do
    [first | rest] = String.split(typed, ".")
    head = Module.concat([first])

    case List.keyfind(env.aliases, head, 0) do
      {_, full} -> Module.concat([full | rest])
      nil -> Module.concat([typed])
    end
  end
end
