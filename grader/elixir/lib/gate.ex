defmodule Grader.Gate do
  @moduledoc """
  The checks of the validation gate that read the learner's work as data: the file's layout
  (`mix format --check-formatted`), warnings silenced in the source, and Dialyzer with the
  starter's `@spec`s kept. They run in the grading VM before any learner module is loaded, so
  no learner code runs while they do; each check gives one `gate` record of findings (a line and
  a message each) and `grader/gate.py` turns them into results with points. Compiler warnings are
  not here: the learner's VM reports them with its `compile` record.
  """

  @max_findings 20

  @doc """
  Runs `checks` (`"format"`, `"warnings"`, `"dialyzer"`; others have nothing to run here).

  `work` holds `source` (the learner's file, as text), `beams` (the learner's compiled modules as
  `{module, binary}`), `project_beams` (paths of the project's other compiled modules) and
  `starter_beams` (paths of the starter's compiled modules).
  """
  def run(checks, work) do
    for check <- checks, record = record(check, work), do: record
  end

  defp record("format", work), do: %{event: "gate", check: "format", findings: format(work.source)}
  defp record("warnings", work), do: %{event: "gate", check: "silenced", findings: silenced(work.source, :compile)}

  defp record("dialyzer", work) do
    case dialyzer(work) do
      {:skip, reason} ->
        %{event: "gate", check: "dialyzer", skipped: reason, findings: []}

      findings ->
        found = silenced(work.source, :dialyzer) ++ changed_specs(work) ++ findings
        %{event: "gate", check: "dialyzer", findings: Enum.take(found, @max_findings)}
    end
  end

  defp record(_other, _work), do: nil

  # --- mix format --check-formatted ---------------------------------------------------

  @doc """
  Where `source` differs from what the formatter makes of it, as findings.

      iex> Grader.Gate.format("x = 1\\n", [])
      []
      iex> Grader.Gate.format("x=1\\n", [])
      [%{line: 1, message: "mix format writes `x = 1`"}]
  """
  def format(source, options \\ formatter_options()) do
    formatted = IO.iodata_to_binary([Code.format_string!(source, options), ?\n])

    cond do
      formatted == source -> []
      formatted == source <> "\n" -> [%{line: nil, message: "the file does not end with a newline (mix format adds one)"}]
      true -> differences(source, formatted)
    end
  rescue
    error -> [%{line: nil, message: "the formatter cannot read the file: " <> Exception.message(error)}]
  end

  # The project's .formatter.exs (trusted exercise file), without the options only Mix uses.
  defp formatter_options do
    case File.read(".formatter.exs") do
      {:ok, text} ->
        {options, _binding} = Code.eval_string(text)
        Keyword.drop(options, [:inputs, :subdirectories, :import_deps, :plugins, :export])

      {:error, _missing} ->
        []
    end
  end

  defp differences(source, formatted) do
    String.split(source, "\n")
    |> List.myers_difference(String.split(formatted, "\n"))
    |> hunks(1, [])
    |> merge_close()
    |> Enum.take(@max_findings)
    |> Enum.map(&finding/1)
  end

  # Each change as %{line: first old line, old: old lines, new: new lines}.
  defp hunks([{:eq, lines} | rest], line, acc), do: hunks(rest, line + length(lines), [{:eq, lines} | acc])

  defp hunks([{:del, old} | rest], line, acc) do
    {new, rest} = inserted(rest)
    hunks(rest, line + length(old), [%{line: line, old: old, new: new} | acc])
  end

  defp hunks([{:ins, new} | rest], line, acc), do: hunks(rest, line, [%{line: line, old: [], new: new} | acc])
  defp hunks([], _line, acc), do: Enum.reverse(acc)

  defp inserted([{:ins, new} | rest]), do: {new, rest}
  defp inserted(rest), do: {[], rest}

  # The formatter rewrites a statement as a whole: changes one or two unchanged lines apart (a
  # long line split in three around a line that happens to stay) are one finding.
  defp merge_close([%{} = a, {:eq, same}, %{} = b | rest]) when length(same) <= 2,
    do: merge_close([%{line: a.line, old: a.old ++ same ++ b.old, new: a.new ++ same ++ b.new} | rest])

  defp merge_close([{:eq, _same} | rest]), do: merge_close(rest)
  defp merge_close([hunk | rest]), do: [hunk | merge_close(rest)]
  defp merge_close([]), do: []

  defp finding(%{line: line, old: old, new: new}) do
    case Enum.find(new, &(String.trim(&1) != "")) do
      nil when old != [] -> %{line: line, message: "mix format removes #{lines(old, "this line", "these lines")}"}
      nil -> %{line: line, message: "mix format adds a blank line here"}
      first -> %{line: line, message: "mix format writes `#{String.trim(first)}`" <> more(new)}
    end
  end

  defp lines([_one], one, _many), do: one
  defp lines(list, _one, many), do: "#{many} (#{length(list)})"

  defp more([_one]), do: ""
  defp more([_first, _second]), do: " (and 1 more line)"
  defp more([_first | rest]), do: " (and #{length(rest)} more lines)"

  # --- warnings silenced in the source --------------------------------------------------

  @doc """
  `@compile` options that turn warnings off (`kind: :compile`), or any `@dialyzer` attribute
  (`kind: :dialyzer`), as findings.

      iex> Grader.Gate.silenced("defmodule M do\\n  @compile {:no_warn_undefined, X}\\nend\\n", :compile)
      [%{line: 2, message: "`@compile {:no_warn_undefined, X}` silences the compiler instead of fixing what it warns about"}]
  """
  def silenced(source, kind) do
    case Code.string_to_quoted(source, columns: false) do
      {:ok, ast} ->
        {_ast, found} = Macro.prewalk(ast, [], &silencing(&1, &2, kind))
        Enum.reverse(found)

      {:error, _syntax} ->
        []
    end
  end

  defp silencing({:@, meta, [{:compile, _, [options]}]} = node, found, :compile) do
    if String.contains?(Macro.to_string(options), ["nowarn", "no_warn"]),
      do: {node, [finding(meta, node, "silences the compiler") | found]},
      else: {node, found}
  end

  defp silencing({:@, meta, [{:dialyzer, _, [_options]}]} = node, found, :dialyzer),
    do: {node, [finding(meta, node, "silences Dialyzer") | found]}

  defp silencing(node, found, _kind), do: {node, found}

  defp finding(meta, node, what),
    do: %{line: meta[:line], message: "`#{Macro.to_string(node)}` #{what} instead of fixing what it warns about"}

  # --- Dialyzer, and the starter's specs kept --------------------------------------------

  defp dialyzer(work) do
    if Code.ensure_loaded?(:dialyzer) do
      run_dialyzer(work)
    else
      {:skip, "Dialyzer is not installed with this Erlang (Debian's erlang-dialyzer; `make setup` installs it)"}
    end
  end

  defp run_dialyzer(work) do
    dir = Path.join(System.tmp_dir!(), "gate-" <> Integer.to_string(System.unique_integer([:positive])))
    File.mkdir_p!(dir)

    try do
      analyse(work, dir)
    catch
      kind, reason ->
        [%{line: nil, message: "Dialyzer could not analyse the compiled file: " <> Exception.format_banner(kind, reason)}]
    after
      File.rm_rf(dir)
    end
  end

  defp analyse(%{beams: beams, project_beams: project_beams}, dir) do
    # Numbered file names: a module's name is the learner's to choose, a path is not.
    learner =
      for {{_module, binary}, index} <- Enum.with_index(beams) do
        path = Path.join(dir, "learner_#{index}.beam")
        File.write!(path, binary)
        String.to_charlist(path)
      end

    plt = String.to_charlist(Path.join(dir, "project.plt"))
    _ = :dialyzer.run(analysis_type: :plt_build, output_plt: plt, files: learner ++ Enum.map(project_beams, &String.to_charlist/1))

    :dialyzer.run(init_plt: plt, files: learner)
    |> Enum.reject(&ignored?/1)
    |> Enum.map(&dialyzer_finding/1)
  end

  # Calls out of the project's PLT (into Elixir) are unknown by design, and the PLT does not
  # know Elixir's behaviours.
  defp ignored?({:warn_unknown, _where, _message}), do: true
  defp ignored?({_tag, _where, {:callback_info_missing, _args}}), do: true
  defp ignored?(_warning), do: false

  defp dialyzer_finding({_tag, {_file, location}, _message} = warning) do
    text = warning |> :dialyzer.format_warning(error_location: :line) |> to_string()
    message = text |> String.replace(~r/^[^:\s]*:\d+(:\d+)?:\s*/, "") |> String.replace(~r/\s+/, " ") |> String.trim()
    %{line: line(location), message: message}
  end

  defp line({line, _column}), do: line
  defp line(line) when is_integer(line), do: line
  defp line(_unknown), do: nil

  # A spec that changed or went missing makes Dialyzer's silence worthless: the starter's
  # specs are the contract, compared as Elixir writes them.
  defp changed_specs(%{beams: beams, starter_beams: starter_beams}) do
    learner = Map.new(beams, fn {module, binary} -> {module, specs(binary)} end)

    for path <- starter_beams,
        {:ok, {module, _chunks}} = :beam_lib.chunks(String.to_charlist(path), []),
        {{name, arity}, spec} <- specs(File.read!(path)),
        Map.get(learner[module] || %{}, {name, arity}) != spec do
      what = if Map.has_key?(learner[module] || %{}, {name, arity}), do: "was changed", else: "is missing"
      %{line: nil, message: "the starter's @spec of #{inspect(module)}.#{name}/#{arity} #{what}: keep `#{spec}`"}
    end
  end

  defp specs(binary) do
    case Code.Typespec.fetch_specs(binary) do
      {:ok, specs} ->
        Map.new(specs, fn {{name, arity}, forms} ->
          written = for form <- forms, do: name |> Code.Typespec.spec_to_quoted(form) |> Macro.to_string()
          {{name, arity}, Enum.join(written, "; ")}
        end)

      :error ->
        %{}
    end
  end
end
