defmodule Grader.Verify do
  @moduledoc """
  Checks the learner's compiled modules against `Grader.Allowlist` before any of them is
  loaded, and rebuilds each from what was checked.

  The modules come from a separate, throwaway VM that compiled the learner's file; nothing
  here trusts them. Each one's debug information is turned back into Erlang abstract code
  (macros already expanded, so sigils, `use` and compile-time tricks are all visible as the
  calls they became), every remote call and function capture in it is looked up in the
  allowlist, calls that need a run-time look are routed through `Grader.Guard`, and the
  result is compiled here. What gets loaded is that rebuild, never the bytes that arrived,
  so debug information that lies about the code only changes what is checked *and* run.
  In a mutation exercise the rebuild also hides the test process's pid from the learner's
  tests (`Grader.Mutation.hide_test_pid/1`).
  """

  alias Grader.Allowlist

  @safe_compile_options [:no_auto_import, :inline, :warnings_as_errors, :nowarn_unused_function]

  @doc """
  `beams` are `{file_name, binary}` pairs; `ctx` is the allowlist's context (see
  `Grader.Allowlist.rule/4`) plus `skip` (modules the exercise provides itself, whose copies
  are ignored) and `learner_file`. Returns `{:ok, [{module, binary}]}` or `{:error, findings}`,
  each finding a map with `line` and `message`.
  """
  def check(beams, ctx) do
    decoded = Enum.map(beams, &decode/1)
    modules = for {:ok, module, _forms} <- decoded, module not in ctx.skip, do: module
    ctx = %{ctx | own: MapSet.union(ctx.own, MapSet.new(modules))}

    results =
      for item <- decoded, not skipped?(item, ctx) do
        with {:ok, module, forms} <- item,
             :ok <- check_name(module, ctx),
             {forms, findings} = rewrite(forms, ctx),
             forms = if(Map.get(ctx, :mode) == :mutation, do: Grader.Mutation.hide_test_pid(forms), else: forms),
             {:ok, module, binary} <- rebuild(module, forms) do
          {:ok, module, binary, findings}
        end
      end

    modules = for {:ok, module, binary, _findings} <- results, do: {module, binary}
    findings = Enum.flat_map(results, fn {:ok, _m, _b, findings} -> findings; {:error, findings} -> findings end)
    {modules, findings |> Enum.uniq() |> Enum.sort_by(&(&1.line || 0))}
  end

  defp skipped?({:ok, module, _forms}, ctx), do: module in ctx.skip
  defp skipped?(_error, _ctx), do: false

  defp decode({_name, binary}) do
    with {:ok, {module, [debug_info: {:debug_info_v1, :elixir_erl, data}]}} <- :beam_lib.chunks(binary, [:debug_info]),
         {:ok, forms} <- :elixir_erl.debug_info(:erlang_v1, module, data, []) do
      {:ok, module, forms}
    else
      _other -> finding(nil, "a compiled module carries no checkable code (was debug information turned off?)")
    end
  rescue
    _error -> finding(nil, "a compiled module could not be read")
  end

  defp check_name(module, ctx) do
    cond do
      Allowlist.machinery?(module) ->
        finding(nil, "defines #{inspect(module)}, in the test machinery's namespace")

      MapSet.member?(ctx.tests, module) ->
        finding(nil, "defines #{inspect(module)}, the name of a test module")

      :erlang.module_loaded(module) or :code.which(module) != :non_existing ->
        finding(nil, "redefines #{inspect(module)}, which Elixir or Erlang already defines")

      foreign = foreign_implementation(module, ctx.own) ->
        {protocol, target} = foreign
        finding(nil, "implements #{inspect(protocol)} for #{inspect(target)}: implement the standard protocols only for your own structs")

      true ->
        :ok
    end
  end

  # `defimpl String.Chars, for: Tuple` would run the learner's code wherever the grader turns a
  # tuple into a string: a protocol of the library may be implemented for the learner's types only.
  defp foreign_implementation(module, own) do
    case Module.split(module) do
      [_single] ->
        nil

      parts ->
        Enum.find_value(1..(length(parts) - 1), fn n ->
          protocol = Module.concat(Enum.take(parts, n))
          target = Module.concat(Enum.drop(parts, n))
          if library_protocol?(protocol, own) and not MapSet.member?(own, target), do: {protocol, target}
        end)
    end
  rescue
    ArgumentError -> nil
  end

  defp library_protocol?(module, own) do
    not MapSet.member?(own, module) and Code.ensure_loaded?(module) and function_exported?(module, :__protocol__, 1)
  end

  # --- the walk over the abstract code -----------------------------------------

  defp rewrite(forms, ctx) do
    {forms, state} = Enum.map_reduce(forms, %{ctx: ctx, file: nil, findings: []}, &form/2)

    {Enum.reject(forms, &is_nil/1), Enum.reverse(state.findings)}
  end

  defp form({:attribute, _anno, :file, {file, _line}} = form, state), do: {form, %{state | file: to_string(file)}}
  defp form({:attribute, anno, :on_load, _fun} = form, state), do: {form, add(state, anno, "runs code when it is loaded (@on_load)")}
  defp form({:attribute, anno, :nifs, _funs} = form, state), do: {form, add(state, anno, "loads native code (NIFs)")}

  defp form({:attribute, anno, :compile, options} = form, state) do
    options = List.wrap(options)
    safe = Enum.filter(options, &safe_compile_option?/1)

    cond do
      Enum.any?(options, &transform?/1) -> {form, add(state, anno, "asks the compiler to run a parse transform")}
      safe == [] -> {nil, state}
      true -> {{:attribute, anno, :compile, safe}, state}
    end
  end

  defp form({:function, anno, name, arity, clauses}, state) do
    {clauses, state} = walk(clauses, state)
    {{:function, anno, name, arity, clauses}, state}
  end

  defp form({kind, _anno, _detail}, state) when kind in [:error, :warning], do: {nil, state}
  defp form(form, state), do: {form, state}

  defp safe_compile_option?(option) when is_atom(option), do: option in @safe_compile_options
  defp safe_compile_option?({option, _value}), do: option in @safe_compile_options
  defp safe_compile_option?(_option), do: false

  defp transform?({kind, _module}), do: kind in [:parse_transform, :core_transform]
  defp transform?(_option), do: false

  defp walk({:call, anno, {:remote, _, {:atom, _, :elixir_erl_pass}, {:atom, _, :no_parens_remote}}, args}, state) do
    {args, state} = walk(args, state)
    {guard(anno, :no_parens_remote, args), state}
  end

  defp walk({:call, anno, {:remote, _, {:atom, _, module}, {:atom, _, fun}} = remote, args}, state) do
    {args, state} = walk(args, state)

    case Allowlist.rule(module, fun, length(args), state.ctx) do
      :ok -> {{:call, anno, remote, args}, state}
      {:guard, _checks} -> {guard(anno, :call, [atom(anno, module), atom(anno, fun), list(anno, args)]), state}
      {:deny, reason} -> {{:call, anno, remote, args}, deny(state, anno, module, fun, length(args), reason)}
    end
  end

  defp walk({:call, anno, {:remote, _, module, fun}, args}, state) do
    {[module, fun | args], state} = walk([module, fun | args], state)
    {guard(anno, :call, [module, fun, list(anno, args)]), state}
  end

  defp walk({:fun, anno, {:function, module, fun, arity}}, state) when is_atom(module) and is_atom(fun),
    do: walk({:fun, anno, {:function, atom(anno, module), atom(anno, fun), {:integer, anno, arity}}}, state)

  defp walk({:fun, anno, {:function, {:atom, _, module}, {:atom, _, fun}, {:integer, _, arity}}} = node, state) do
    case Allowlist.rule(module, fun, arity, state.ctx) do
      :ok -> {node, state}
      {:guard, _checks} -> {guard(anno, :capture, [atom(anno, module), atom(anno, fun), {:integer, anno, arity}]), state}
      {:deny, reason} -> {node, deny(state, anno, module, fun, arity, reason)}
    end
  end

  defp walk({:fun, anno, {:function, module, fun, arity}}, state) do
    {[module, fun, arity], state} = walk([module, fun, arity], state)
    {guard(anno, :capture, [module, fun, arity]), state}
  end

  defp walk({:op, anno, :!, to, message}, state) do
    {[to, message], state} = walk([to, message], state)
    {guard(anno, :call, [atom(anno, :erlang), atom(anno, :send), list(anno, [to, message])]), state}
  end

  defp walk(list, state) when is_list(list), do: Enum.map_reduce(list, state, &walk/2)

  defp walk(tuple, state) when is_tuple(tuple) do
    {elements, state} = walk(Tuple.to_list(tuple), state)
    {List.to_tuple(elements), state}
  end

  defp walk(other, state), do: {other, state}

  defp guard(anno, fun, args), do: {:call, anno, {:remote, anno, atom(anno, Grader.Guard), atom(anno, fun)}, args}
  defp atom(anno, atom), do: {:atom, anno, atom}
  defp list(anno, items), do: List.foldr(items, {nil, anno}, &{:cons, anno, &1, &2})

  # --- findings ---------------------------------------------------------------------

  defp deny(state, anno, module, fun, arity, reason) do
    add(state, anno, "`#{Allowlist.describe(module, fun, arity)}`: not allowed in this exercise (#{reason})")
  end

  defp add(state, anno, message) do
    line = if learner_file?(state), do: :erl_anno.line(anno)
    %{state | findings: [%{line: line, message: message} | state.findings]}
  end

  defp learner_file?(%{file: file, ctx: %{learner_file: learner}}) when is_binary(file),
    do: String.ends_with?(file, learner)

  defp learner_file?(_state), do: false

  defp finding(line, message), do: {:error, [%{line: line, message: message}]}

  # --- the rebuild --------------------------------------------------------------------

  @doc "Loads the compiler by building a one-function module, so the first real rebuild is quick."
  def warm_up do
    forms = [
      {:attribute, 1, :module, :grader_verify_warm_up},
      {:attribute, 1, :export, [ok: 0]},
      {:function, 1, :ok, 0, [{:clause, 1, [], [], [{:atom, 1, :ok}]}]}
    ]

    {:ok, :grader_verify_warm_up, _binary} = :compile.forms(forms, [:binary, :return_errors])
    :ok
  end

  defp rebuild(module, forms) do
    case :compile.forms(forms, [:binary, :return_errors, :no_spawn_compiler_process, :deterministic]) do
      {:ok, ^module, binary} -> {:ok, module, binary}
      {:ok, ^module, binary, _warnings} -> {:ok, module, binary}
      _error -> finding(nil, "#{inspect(module)} could not be rebuilt from its checked code")
    end
  end
end
