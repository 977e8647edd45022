defmodule Grader.Manifest do
  @moduledoc """
  Lists the tests an exercise's test files define, by reading them as data.

  The grader expects a result for every test in this list, so a run that stops early or
  loses tests cannot gain points. Each entry carries its points (`@tag points: N`,
  `@describetag` or `@moduletag`, default 1). Test names must be string literals so the list
  is known before anything runs.
  """

  @doc "Prints the manifest of the given test files as JSON."
  def main(paths) do
    tests = Enum.flat_map(paths, &file_tests/1)
    IO.puts(IO.iodata_to_binary(Grader.JSON.encode(tests)))
  end

  def file_tests(path) do
    ast = path |> File.read!() |> Code.string_to_quoted!(file: path)
    {_ast, modules} = Macro.prewalk(ast, [], &collect_module/2)

    for {module, body} <- Enum.reverse(modules),
        test <- tests_in(body, %{describe: nil, pending: nil, describetag: nil, moduletag: nil}) do
      Map.merge(test, %{file: path, module: inspect(module)})
    end
  end

  defp collect_module({:defmodule, _, [{:__aliases__, _, parts}, [do: body]]} = node, acc),
    do: {node, [{Module.concat(parts), body} | acc]}

  defp collect_module(node, acc), do: {node, acc}

  defp tests_in({:__block__, _, forms}, scope), do: forms |> Enum.reduce({[], scope}, &form/2) |> elem(0) |> Enum.reverse()
  defp tests_in(form, scope), do: tests_in({:__block__, [], [form]}, scope)

  defp form({:@, _, [{:tag, _, [tags]}]}, {tests, scope}), do: {tests, %{scope | pending: points(tags) || scope.pending}}
  defp form({:@, _, [{:describetag, _, [tags]}]}, {tests, scope}), do: {tests, %{scope | describetag: points(tags)}}
  defp form({:@, _, [{:moduletag, _, [tags]}]}, {tests, scope}), do: {tests, %{scope | moduletag: points(tags)}}

  defp form({:describe, _, [name, [do: body]]}, {tests, scope}) when is_binary(name) do
    inner = tests_in(body, %{scope | describe: name, pending: nil, describetag: nil})
    {Enum.reverse(inner) ++ tests, scope}
  end

  defp form({:test, meta, [name | _]}, {tests, scope}) do
    unless is_binary(name), do: raise(ArgumentError, "line #{meta[:line]}: test names must be string literals")
    full = Enum.join(Enum.reject(["test", scope.describe, name], &is_nil/1), " ")
    points = scope.pending || scope.describetag || scope.moduletag || 1
    {[%{name: full, points: points, line: meta[:line]} | tests], %{scope | pending: nil}}
  end

  defp form(_other, acc), do: acc

  defp points(tags) when is_list(tags) do
    case Keyword.get(tags, :points) do
      points when is_number(points) and points >= 0 -> points
      nil -> nil
      other -> raise ArgumentError, "@tag points: must be a non-negative number, got #{Macro.to_string(other)}"
    end
  end

  defp points(_tag), do: nil
end
