defmodule IExKernel.Docs do
  @moduledoc """
  Shift+Tab inspection: the documentation of the name under the cursor, or the value and
  type of a variable in scope.

  Docs are IEx's own `h/1` output (the same text a terminal user sees), captured from a
  private group leader; a variable is described by IEx's `i/1`.
  """

  alias IExKernel.Complete

  @doc "Inspection reply for `code`, the text up to the end of the name under the cursor."
  def inspect_at(code, binding, env) do
    text =
      case Code.Fragment.cursor_context(code) do
        {:alias, alias} -> h(Complete.resolve_alias(List.to_string(alias), env))
        {:dot, {:alias, mod}, fun} -> h({Complete.resolve_alias(List.to_string(mod), env), List.to_atom(fun)})
        {:dot, {:unquoted_atom, mod}, fun} -> h({List.to_atom(mod), List.to_atom(fun)})
        {:unquoted_atom, mod} -> h(List.to_atom(mod))
        {kind, name} when kind in [:local_or_var, :local_call] -> local(List.to_atom(name), binding, env)
        _ -> nil
      end

    case text do
      nil -> %{status: "ok", found: false, data: %{}}
      text -> %{status: "ok", found: true, data: %{"text/plain" => text}}
    end
  end

  defp local(name, binding, env) do
    case Keyword.fetch(binding, name) do
      {:ok, value} ->
        capture(fn -> IEx.Helpers.i(value) end)

      :error ->
        case Enum.find(env.functions ++ env.macros, fn {_mod, funs} -> Keyword.has_key?(funs, name) end) do
          {mod, _} -> h({mod, name})
          nil -> nil
        end
    end
  end

  defp h(target) do
    text = capture(fn -> IEx.Introspection.h(target) end)
    if text =~ ~r/^(No documentation|Could not load)/, do: nil, else: text
  end

  defp capture(fun) do
    {:ok, device} = StringIO.open("")
    previous = Process.group_leader()
    Process.group_leader(self(), device)

    try do
      fun.()
    after
      Process.group_leader(self(), previous)
    end

    {:ok, {_, output}} = StringIO.close(device)
    String.trim(output)
  end
end
