defmodule Grader.Run do
  @moduledoc """
  The entry point inside the sandbox. One grade takes two VMs, and neither trusts the other:

    * `compile` (the learner's VM): reads the learner's file as data (`Grader.Policy`), compiles
      the project with it, and sends the compiled modules back on the channel. No test,
      formatter or secret is in this VM: the learner's compile-time code can run here, and all
      it can change is what comes back, which is checked as data.
    * `test` (the grading VM): receives the compiled tests and the learner's compiled modules
      through a pipe, checks and rebuilds the learner's (`Grader.Verify`) before any of them
      is loaded, seals what belongs to the grader (`Grader.Guard.seal/1`), then starts the
      exercise's application and runs ExUnit with `Grader.Formatter` reporting on the channel.

  Two trusted steps prepare them, run once per exercise and cached by the grader: `build`
  (Mix's build of the project with the starter) and `tests` (the visible and hidden tests
  compiled against the reference solution, never in a VM that runs learner code).

  A mutation exercise (`GRADER_MODE=mutation`, see `Grader.Mutation`) turns this around: the
  learner's file is a test file, compiled in the learner's VM; a third trusted step,
  `implementations`, compiles the hidden implementations of the module under test; and each
  grading VM receives one implementation (`impl/` files), loads it in place of the project's
  module, and runs the learner's checked test modules, registered with ExUnit here.
  """

  @grader_modules [
    Grader.JSON, Grader.Formatter, Grader.OutputCapture, Grader.Policy, Grader.Allowlist, Grader.Verify,
    Grader.Guard, Grader.Guard.Supervised, Grader.Guard.Denied, Grader.Gate, Grader.Mutation
  ]

  @compile_modules [Grader.JSON, Grader.Policy, Grader.OutputCapture]

  def main do
    steps = System.get_env("GRADER_STEPS")
    # The learner's VM gets only what compiling needs: no formatter, check or guard to study.
    Enum.each(if(steps == "compile", do: @compile_modules, else: @grader_modules), &Code.ensure_loaded!/1)
    # The grading VM starts while the learner's VM compiles: what needs no learner code is done
    # before its modules arrive.
    exercise = if steps == "test", do: prepare_test()
    {:ok, files} = Grader.Channel.open()

    case steps do
      "build" -> compile()
      "tests" -> if seed_build() and compile() == :ok, do: compile_tests(files)
      "implementations" -> if seed_build() and compile() == :ok, do: Grader.Mutation.compile_implementations(files)
      "compile" -> if check_policy() == :ok and seed_build() and compile() == :ok, do: send_modules()
      "test" -> test(files, exercise)
    end

    Grader.Channel.emit(%{event: "done"})
    System.halt(0)
  end

  # In the sandbox, _build is an empty, size-capped tmpfs: the skeleton build starts it off.
  # The copy's manifests are newer than the learner's file, so Mix would recompile that file only
  # if its size changed: a fix of the starter's exact size (`:permanent` for `:temporary`) would
  # be graded as the starter. Dated back, the manifests make Mix compare the file's content.
  defp seed_build do
    with seed when is_binary(seed) <- System.get_env("GRADER_BUILD_SEED") do
      File.cp_r!(seed, "_build")
      for manifest <- Path.wildcard("_build/*/lib/*/.mix/compile.elixir", match_dot: true),
          do: File.touch!(manifest, 0)
    end

    true
  end

  defp check_policy do
    source = File.read!(System.fetch_env!("GRADER_LEARNER_FILE"))
    allowed = String.split(System.get_env("GRADER_POLICY_ALLOW", ""), ",", trim: true)
    allowed = if Grader.Mutation.mode?(), do: allowed ++ Grader.Mutation.policy_allow(), else: allowed
    findings = Grader.Policy.check(source, allowed)
    Grader.Channel.emit(Map.put(findings, :event, "policy"))

    if findings.violations == [] or System.get_env("GRADER_POLICY") == "report-only",
      do: :ok,
      else: :stop
  end

  # --- compiling (the learner's VM, and the trusted build) -------------------------

  defp compile do
    Process.group_leader(self(), Grader.OutputCapture.start())
    Mix.start()
    Mix.CLI.main(["loadconfig"])

    case Mix.Task.run("compile", ["--return-errors"]) do
      {:error, diagnostics} ->
        errors = for d <- diagnostics, d.severity == :error, do: diagnostic(d)
        Grader.Channel.emit(%{event: "compile", ok: false, errors: errors})
        :stop

      result ->
        Grader.Channel.emit(%{event: "compile", ok: true, warnings: learner_warnings(result)})
        :ok
    end
  end

  # What the validation gate's `warnings` and `xref` checks read (`grader/gate.py`).
  defp learner_warnings({_status, diagnostics}) when is_list(diagnostics) do
    learner_file = System.get_env("GRADER_LEARNER_FILE", "")

    for %{severity: :warning} = d <- diagnostics, String.ends_with?(to_string(d.file), learner_file),
        do: diagnostic(d)
  end

  defp learner_warnings(_noop), do: []

  defp diagnostic(d) do
    %{file: Path.relative_to_cwd(to_string(d.file)), line: line(d.position), message: IO.chardata_to_string(d.message)}
  end

  defp line({line, _column}), do: line
  defp line(line) when is_integer(line), do: line
  defp line(_none), do: nil

  defp send_modules do
    if Grader.Mutation.mode?(), do: send_test_modules(), else: send_lib_modules()
  end

  # A mutation exercise: the learner's file is a test file, which `mix compile` does not compile.
  defp send_test_modules do
    case Grader.Mutation.compile_learner_tests(System.fetch_env!("GRADER_LEARNER_FILE")) do
      {:ok, modules} ->
        Grader.Channel.emit(%{event: "compile", ok: true})
        for {module, binary} <- modules,
            do: Grader.Channel.emit(%{event: "beam", name: "#{module}.beam", data: Base.encode64(binary)})

      {:error, errors} ->
        Grader.Channel.emit(%{event: "compile", ok: false, errors: errors})
    end
  end

  defp send_lib_modules do
    for path <- Path.wildcard(Path.join(Mix.Project.compile_path(), "*.beam")) do
      Grader.Channel.emit(%{event: "beam", name: Path.basename(path), data: Base.encode64(File.read!(path))})
    end
  end

  # The tests, compiled against the reference solution; hidden ones come through the pipe.
  defp compile_tests(hidden_tests) do
    {:ok, _apps} = Application.ensure_all_started(:ex_unit)
    Code.put_compiler_option(:ignore_module_conflict, true)

    hidden =
      for {name, source} <- hidden_tests,
          {module, binary} <- Code.compile_string(source, Path.expand(Path.join("test/hidden", name))),
          do: {module, binary, false}

    visible =
      for path <- Path.wildcard("test/**/*_test.exs"),
          {module, binary} <- Code.compile_file(path),
          do: {module, binary, true}

    for {module, binary, visible?} <- hidden ++ visible do
      {:ok, {^module, stripped}} = :beam_lib.strip(binary)
      case? = function_exported?(module, :__ex_unit__, 0)
      record = %{event: "test_module", module: Atom.to_string(module), case: case?, visible: visible?}
      Grader.Channel.emit(Map.put(record, :data, Base.encode64(stripped)))
    end
  end

  # --- testing (the grading VM) ------------------------------------------------------

  defp prepare_test do
    exercise = load_exercise()
    Process.group_leader(self(), Grader.OutputCapture.start())
    {:ok, _apps} = Application.ensure_all_started(:ex_unit)
    Application.put_env(:ex_unit, :autorun, false)
    Code.eval_file("test/test_helper.exs")
    ExUnit.configure([seed: 0, max_cases: 1, formatters: [Grader.Formatter], autorun: false] ++ test_timeout())
    Grader.Verify.warm_up()
    exercise
  end

  defp test(files, exercise) do
    {implementation, files} = Enum.split_with(files, fn {name, _data} -> String.starts_with?(name, "impl/") end)
    for {"impl/" <> name, data} <- implementation, do: load_implementation(module_of(name), data)
    {tests, learner} = Enum.split_with(files, fn {name, _data} -> String.starts_with?(name, "test/") end)
    gate(learner, exercise)
    test_modules = for {"test/" <> name, data} <- tests, do: {name, data}
    cases = for {name, _data} <- test_modules, String.ends_with?(name, ".case"), do: module_of(name)
    helpers = for {name, _data} <- test_modules, not String.ends_with?(name, ".case"), do: module_of(name)

    ctx = %{
      own: MapSet.new(exercise.modules ++ helpers),
      skip: exercise.modules,
      tests: MapSet.new(cases),
      extra: extra_allowed(),
      app: exercise.name,
      learner_file: System.fetch_env!("GRADER_LEARNER_FILE")
    }

    ctx = if Grader.Mutation.mode?(), do: Map.put(ctx, :mode, :mutation), else: ctx

    {modules, findings} = Grader.Verify.check(learner, ctx)
    Grader.Channel.emit(%{event: "verify", ok: findings == [], violations: findings})

    if findings == [] or System.get_env("GRADER_POLICY") == "report-only" do
      for {module, binary} <- modules, do: {:module, ^module} = :code.load_binary(module, ~c"learner", binary)
      for {name, data} <- test_modules, do: load_test_module(module_of(name), data)
      cases = if Grader.Mutation.mode?(), do: learner_cases(modules), else: cases
      run_tests(cases, %{ctx | own: MapSet.union(ctx.own, MapSet.new(Keyword.keys(modules)))})
    end
  end

  # The validation gate's checks that read the learner's work as data, before any of it is loaded.
  defp gate(learner, exercise) do
    case String.split(System.get_env("GRADER_GATE", ""), ",", trim: true) do
      [] ->
        :ok

      checks ->
        work = %{
          source: File.read!(System.fetch_env!("GRADER_LEARNER_FILE")),
          beams: learner_beams(learner, exercise.modules),
          project_beams: exercise.project_beams,
          starter_beams: exercise.starter_beams
        }

        Enum.each(Grader.Gate.run(checks, work), &Grader.Channel.emit/1)
    end
  end

  defp learner_beams(learner, own) do
    for {_name, binary} <- learner,
        {:ok, {module, []}} <- [:beam_lib.chunks(binary, [])],
        module not in own,
        do: {module, binary}
  end

  defp module_of(name), do: name |> Path.rootname() |> String.to_atom()

  # The implementation under test replaces the project's module (a trusted binary; the old code
  # is purged, so every implementation is loaded the same way).
  defp load_implementation(module, data) do
    :code.purge(module)
    :code.delete(module)
    :code.purge(module)
    {:module, ^module} = :code.load_binary(module, ~c"implementation", data)
  end

  # The learner's test modules, checked and loaded: registered with ExUnit here, never by their code.
  defp learner_cases(modules), do: for({module, _binary} <- modules, function_exported?(module, :__ex_unit__, 0), do: module)

  defp load_test_module(module, data), do: {:module, ^module} = :code.load_binary(module, ~c"test", data)

  # The exercise's own modules (the files the learner does not replace) and its application,
  # from the trusted build of the starter.
  defp load_exercise do
    build = System.get_env("GRADER_BUILD_SEED") || "_build"
    [ebin] = Path.wildcard(Path.join(build, "test/lib/*/ebin"))
    [app_file] = Path.wildcard(Path.join(ebin, "*.app"))
    {:ok, [{:application, name, _props} = spec]} = :file.consult(app_file)
    learner_file = System.fetch_env!("GRADER_LEARNER_FILE")

    {starter, project} =
      Path.wildcard(Path.join(ebin, "*.beam"))
      |> Enum.split_with(fn beam ->
        {:ok, {_module, [compile_info: info]}} = :beam_lib.chunks(String.to_charlist(beam), [:compile_info])
        String.ends_with?(to_string(info[:source]), learner_file)
      end)

    modules =
      for beam <- project do
        {:module, module} = :code.load_abs(String.to_charlist(Path.rootname(beam)))
        module
      end

    :ok = :application.load(spec)
    %{name: name, modules: modules, project_beams: project, starter_beams: starter}
  end

  # "Module.function" entries the exercise allows beyond the allowlist.
  defp extra_allowed do
    for entry <- String.split(System.get_env("GRADER_POLICY_ALLOW", ""), ",", trim: true),
        [_all, module, fun] <- [Regex.run(~r/^(.+)\.([^.]+)$/, entry)],
        into: MapSet.new(),
        do: {to_module(module), String.to_atom(fun)}
  end

  defp to_module(":" <> erlang), do: String.to_atom(erlang)
  defp to_module(elixir), do: Module.concat([elixir])

  defp run_tests(cases, ctx) do
    Enum.each(cases, &register/1)
    modules_loaded()
    Grader.Guard.seal(ctx)

    case Application.ensure_all_started(ctx.app) do
      {:ok, _apps} ->
        ExUnit.run()

      {:error, reason} ->
        IO.puts("The exercise's application did not start: " <> Exception.format_exit(reason))
    end
  end

  # Registering a compiled test module with ExUnit: what `use ExUnit.Case` does after compiling.
  defp register(module) do
    cond do
      function_exported?(ExUnit.Server, :add_sync_module, 1) -> apply(ExUnit.Server, :add_sync_module, [module])
      Version.match?(System.version(), ">= 1.17.0") -> apply(ExUnit.Server, :add_module, [module, %{async?: false, group: nil, parameterize: nil}])
      true -> apply(ExUnit.Server, :add_module, [module, {false, nil}])
    end
  end

  defp modules_loaded do
    if function_exported?(ExUnit.Server, :modules_loaded, 0),
      do: apply(ExUnit.Server, :modules_loaded, []),
      else: apply(ExUnit.Server, :modules_loaded, [false])
  end

  # Each test's own time limit (a test's `@tag timeout:` still wins), so a test that hangs is
  # named in its result; the grader's wall clock stays the backstop for the whole run.
  defp test_timeout do
    case System.get_env("GRADER_TEST_TIMEOUT_MS") do
      nil -> []
      ms -> [timeout: String.to_integer(ms)]
    end
  end
end
