defmodule Grader.Mutation do
  @moduledoc """
  The sandbox's side of a mutation exercise (`GRADER_MODE=mutation`): the learner's file is an
  ExUnit test file, and it is graded by running it against a fixed implementation and several
  hidden mutants of one module, each in a fresh grading VM (`grader/mutation.py` decides the
  score from the per-test records).

    * `compile_implementations/1` (the trusted, cached step `implementations`): compiles the
      fixed implementation and every mutant from the same file name, with the same options and
      every line number erased, and strips what the compiler records about the build: the
      modules differ in their code only. Never run in a VM that runs learner code.
    * `compile_learner_tests/1` (the learner's VM): compiles the learner's test file with
      ExUnit loaded, so `use ExUnit.Case`, `test` and `assert` expand; the compiled modules
      go back as data, like any learner module, and are checked by `Grader.Verify`.
    * `rule/4` (through `Grader.Allowlist.rule/4` when the context's `mode` is `:mutation`):
      what a learner's test may call. ExUnit is the test machinery everywhere else; here a test
      may call exactly what `test`, `describe`, `setup` and the assertions expand to, on
      Elixir 1.14 to 1.18 (registration with `ExUnit.Server` is done by `Grader.Run`, after
      the check). Denied on top of the usual allowlist, so that a test can tell the
      implementations apart only by what they answer, and the same test always gives the same
      result:
        - reflection on how a module was built: `module_info`, `__info__`, `:erlang.md5`, the
          code server and `:beam_lib` (denied anyway), `:erlang.get_module_info/2` on anything
          but the learner's own modules (their generated `__info__/1` calls it);
        - every source of a different answer on a second run: clocks (`System.*_time`,
          `:erlang.monotonic_time`, `DateTime.utc_now`, `:os.timestamp`, ...), randomness
          (`:rand`, `:crypto`, `Enum.random/shuffle/take_random`), unique values (`make_ref`,
          `unique_integer`), the VM's own
          counters (`:erlang.statistics`, `memory`, `system_info`, `process_info`), process
          identities and their printed form (`self`, `pid_to_list`, `phash2`/`term_to_binary`
          of a pid, the process dictionary and its `$ancestors`), and processes, timers and
          sleeps (whose interleaving is scheduling). The only time a test can measure is its own
          time limit: `grader/mutation.py` counts a time-out only for a test that was quick on
          the fixed implementation.
      The implementations are pure functions, so a test needs none of these; what is left is
      deterministic, so a mutant is never killed by chance (the alternative, running the
      fixed implementation twice, would only make luck rarer).
  """

  # `assert`, `refute`, `assert_raise`, `assert_in_delta`, `flunk`, `catch_*`: the functions
  # of ExUnit.Assertions are assertion helpers (they compare and raise, nothing else).
  @exunit_modules [ExUnit.Assertions, ExUnit.AssertionError]
  # `setup` blocks: merging what a callback returns into the context (`__merge__/3` on 1.14,
  # `/4` on 1.18), and 1.18's no-op `describe`/setup chain.
  @exunit_functions [{ExUnit.Callbacks, :__merge__}, {ExUnit.Callbacks, :__noop__}]

  @steady_modules [
    Enum, Stream, Map, MapSet, List, Keyword, Tuple, String, Integer, Float, Range, Access, Base, Bitwise,
    Regex, URI, Version, Atom, Exception, IO, Inspect, Inspect.Algebra, Inspect.Opts, String.Chars, List.Chars,
    Enumerable, Collectable, :lists, :maps, :queue, :sets, :ordsets, :orddict, :gb_trees, :gb_sets, :proplists,
    :dict, :array, :binary, :string, :unicode, :unicode_util, :math, :io_lib, :base64, :re, :erl_anno
  ]

  # Functions of :erlang and Kernel whose answer can differ from one run to the next, or that
  # start, find or time processes.
  @unsteady ~w(
    now monotonic_time system_time time date localtime universaltime localtime_to_universaltime
    universaltime_to_localtime timestamp time_offset unique_integer make_ref statistics memory system_info
    process_info self pid_to_list ref_to_list port_to_list phash phash2 term_to_binary term_to_iovec
    external_size md5 md5_init md5_update md5_final spawn spawn_link spawn_monitor spawn_opt send
    send_nosuspend send_after start_timer cancel_timer read_timer yield bump_reductions garbage_collect
    link unlink monitor demonitor nodes is_process_alive get_module_info get put erase get_keys
  )a

  # Functions of a steady module that answer differently each run.
  @shuffling [{Enum, :random}, {Enum, :shuffle}, {Enum, :take_random}]

  @doc "What the static check (`Grader.Policy`) allows in a mutation exercise: `use ExUnit.Case`."
  def policy_allow, do: ["ExUnit.Case"]

  @doc "True in a VM that grades a mutation exercise."
  def mode?, do: System.get_env("GRADER_MODE") == "mutation"

  @doc """
  The rule for `module.fun/arity` called from a learner's test (see `Grader.Allowlist.rule/4`);
  `standard` is the usual allowlist's answer, computed only when needed.
  """
  def rule(module, fun, _arity, ctx, standard) do
    cond do
      fun in [:module_info, :__info__] ->
        {:deny, "it reads how a module was built: tell the implementations apart by what they answer"}

      module == :erlang and fun == :get_module_info ->
        {:guard, [learner_module: 0]}

      module in @exunit_modules or {module, fun} in @exunit_functions ->
        :ok

      module == :erlang and fun == :md5 ->
        {:deny, "it fingerprints data: tell the implementations apart by what they answer"}

      steady?(module, fun, ctx) ->
        standard.()

      true ->
        {:deny, "a test here calls the module under test and pure functions only, so that it gives the same " <>
                  "result every run (no clock, randomness, unique values, processes or timers)"}
    end
  end

  defp steady?(module, fun, ctx) do
    cond do
      MapSet.member?(ctx.own, module) -> true
      {module, fun} in @shuffling -> false
      module in [:erlang, Kernel] -> fun not in @unsteady
      module in @steady_modules -> true
      exception?(module) -> fun in [:exception, :message, :blame, :__struct__]
      true -> false
    end
  end

  defp exception?(module) do
    case Atom.to_string(module) do
      "Elixir." <> name -> String.ends_with?(name, "Error")
      _erlang -> false
    end
  end

  # --- the rebuild of a learner's test module --------------------------------------------

  @doc """
  Elixir 1.18 puts the test process's pid in every test's context (`:test_pid`): printed, it
  could differ from one run to the next. Each function of the learner's test module that gets
  the context (tests and setup callbacks) is rebuilt to get it without that key. Called by
  `Grader.Verify` on forms it has checked.
  """
  def hide_test_pid(forms) do
    Enum.flat_map(forms, fn
      {:function, anno, name, 1, clauses} = form ->
        if context_callback?(name) do
          inner = :"#{name} (context checked)"
          context = {:var, anno, :_grader@context}
          without = {:call, anno, {:remote, anno, {:atom, anno, :maps}, {:atom, anno, :remove}}, [{:atom, anno, :test_pid}, context]}
          [{:function, anno, name, 1, [{:clause, anno, [context], [], [{:call, anno, {:atom, anno, inner}, [without]}]}]},
           {:function, anno, inner, 1, clauses}]
        else
          [form]
        end

      form ->
        [form]
    end)
  end

  defp context_callback?(name) do
    name = Atom.to_string(name)
    Enum.any?(["test ", "doctest ", "__ex_unit_setup", "__ex_unit_describe"], &String.starts_with?(name, &1))
  end

  # --- the trusted step: the implementations -----------------------------------------

  @doc """
  Compiles each `{name, source}` (the fixed implementation and the mutants) as if it were the
  file `GRADER_IMPLEMENTATION` of the project, emitting one `implementation` record each with
  the module, its exports and the stripped binary.
  """
  def compile_implementations(files) do
    file = Path.expand(System.fetch_env!("GRADER_IMPLEMENTATION"))
    Code.put_compiler_option(:ignore_module_conflict, true)

    for {name, source} <- files do
      quoted = source |> Code.string_to_quoted!(file: file) |> erase_lines()
      [{module, binary}] = Code.compile_quoted(quoted, file)
      {:ok, {^module, stripped}} = :beam_lib.strip(binary)
      {:ok, {^module, [exports: exports]}} = :beam_lib.chunks(stripped, [:exports])
      exports = for {fun, arity} <- Enum.sort(exports), do: "#{fun}/#{arity}"

      Grader.Channel.emit(%{event: "implementation", name: name, module: Atom.to_string(module),
                            exports: exports, data: Base.encode64(stripped)})
    end
  end

  # Line numbers would show in stack traces and tell a mutant from the fix: all are erased.
  defp erase_lines(quoted) do
    Macro.prewalk(quoted, fn
      {form, meta, args} when is_list(meta) -> {form, Keyword.drop(meta, [:line, :column, :end_of_expression, :end, :closing, :do, :newlines]), args}
      other -> other
    end)
  end

  # --- the learner's VM: the test file -------------------------------------------------

  @doc """
  Compiles the learner's test file (ExUnit started, so its macros expand and `use ExUnit.Case`
  registers in this throwaway VM only). Returns `{:ok, [{module, binary}]}` or
  `{:error, errors}` with the compile record's `file`/`line`/`message` maps.
  """
  def compile_learner_tests(path) do
    {:ok, _apps} = Application.ensure_all_started(:ex_unit)
    Application.put_env(:ex_unit, :autorun, false)

    {result, diagnostics} =
      if function_exported?(Code, :with_diagnostics, 2),
        do: apply(Code, :with_diagnostics, [[log: true], fn -> compile_file(path) end]),
        else: {compile_file(path), []}

    case result do
      {:ok, modules} ->
        {:ok, modules}

      {:error, exception} ->
        errors =
          for %{severity: :error} = d <- diagnostics,
              do: %{file: Path.relative_to_cwd(to_string(d.file)), line: line(d[:position]), message: d.message}

        {:error, if(errors == [], do: [from_exception(exception, path)], else: errors)}
    end
  end

  defp compile_file(path) do
    {:ok, Code.compile_file(path)}
  rescue
    exception -> {:error, exception}
  end

  defp from_exception(exception, path) do
    file = Map.get(exception, :file) || path
    message = Map.get(exception, :description) || Exception.message(exception)
    %{file: Path.relative_to_cwd(to_string(file)), line: Map.get(exception, :line), message: message}
  end

  defp line({line, _column}), do: line
  defp line(line) when is_integer(line), do: line
  defp line(_none), do: nil
end
