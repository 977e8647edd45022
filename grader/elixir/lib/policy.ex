defmodule Grader.Policy do
  @moduledoc """
  Reads the learner's code as data and reports what it must not do, before anything runs.

  The code is only parsed (`Code.string_to_quoted/2`), never compiled or evaluated. Two kinds
  of findings come back, each with a line number:

    * violations: reaching for things no exercise needs (stopping the VM, files, OS commands,
      evaluating code, building atoms or module names at run time, the test machinery).
      A violation makes the grade an error, with the reason in words.
    * comments: playbook pitfalls that are still in the code (a catch-all `rescue`, an
      `:infinity` timeout, ...). They are feedback only and never change the score.

  The sandbox contains whatever slips through; this check keeps honest mistakes and
  blunt attacks from ever reaching it.
  """

  @whole_modules %{
    File => "reads and writes files",
    Port => "starts operating-system programs",
    Code => "compiles and evaluates code at run time",
    Node => "reaches other nodes",
    :file => "reads and writes files",
    :filelib => "reads and writes files",
    :prim_file => "reads and writes files",
    :os => "runs operating-system commands",
    :code => "loads and replaces compiled code",
    :init => "stops or restarts the VM",
    :erl_eval => "evaluates code at run time",
    :erl_prim_loader => "reads files",
    :erl_ddll => "loads native drivers",
    :compile => "compiles code at run time",
    :rpc => "runs code on other nodes",
    :erpc => "runs code on other nodes",
    :peer => "starts other nodes",
    :slave => "starts other nodes",
    :net_kernel => "reaches other nodes",
    :dbg => "traces other processes",
    :sys => "inspects and changes other processes' state",
    :seq_trace => "traces other processes"
  }

  @allowed_in_whole_modules %{
    Code => [:ensure_loaded, :ensure_loaded?, :ensure_compiled, :ensure_compiled!],
    :os => [:system_time, :timestamp, :type, :getpid],
    Node => [:self, :alive?, :list, :monitor, :ping, :connect, :disconnect]
  }

  @system_allowed [
    :monotonic_time,
    :system_time,
    :os_time,
    :convert_time_unit,
    :unique_integer,
    :schedulers_online,
    :version,
    :otp_release,
    :stacktrace
  ]

  @denied_functions %{
    :erlang => %{
      halt: "stops the VM",
      open_port: "starts operating-system programs",
      ports: "lists the VM's ports",
      processes: "lists every process in the VM",
      registered: "lists every registered process",
      apply: "calls a computed function",
      make_fun: "builds a function from computed names",
      load_module: "loads compiled code",
      purge_module: "removes loaded code",
      delete_module: "removes loaded code",
      trace: "traces other processes",
      trace_pattern: "traces other processes",
      system_flag: "changes VM-wide settings",
      group_leader: "redirects other processes' output",
      loaded: "lists every loaded module",
      pre_loaded: "lists every loaded module",
      port_command: "writes to ports",
      port_control: "controls ports",
      port_connect: "takes over ports",
      set_cookie: "changes the node's cookie"
    },
    Process => %{
      registered: "lists every registered process",
      list: "lists every process in the VM",
      group_leader: "redirects other processes' output"
    },
    Application => %{
      stop: "stops applications the test run needs",
      unload: "unloads applications",
      put_env: "changes other applications' settings",
      put_all_env: "changes other applications' settings",
      delete_env: "changes other applications' settings",
      spec: "lists other applications' modules",
      app_dir: "reads files of other applications"
    },
    :persistent_term => %{get: {[0], "lists every persistent term (use get/1 or get/2)"}},
    Path => %{wildcard: "lists files on disk"},
    Function => %{capture: "builds a function from computed names"}
  }

  @atom_builders %{
    {String, :to_atom} => "builds an atom from a computed string (atoms are never freed)",
    {String, :to_existing_atom} => "turns a computed string into an atom or module name",
    {List, :to_atom} => "builds an atom from a computed string (atoms are never freed)",
    {List, :to_existing_atom} => "turns a computed string into an atom or module name",
    {:erlang, :binary_to_atom} => "builds an atom from a computed string (atoms are never freed)",
    {:erlang, :list_to_atom} => "builds an atom from a computed string (atoms are never freed)",
    {:erlang, :binary_to_existing_atom} => "turns a computed string into an atom or module name",
    {:erlang, :list_to_existing_atom} => "turns a computed string into an atom or module name",
    {Module, :concat} => "builds a module name at run time",
    {Module, :safe_concat} => "builds a module name at run time"
  }

  @machinery [:ExUnit, :Mix, :Grader, :IEx]
  @value_atoms [:os, :erlang, :prim_file, :erl_eval, :erl_prim_loader, :erl_ddll, :erpc, :rpc]

  @doc """
  Checks `source`; `allowed` lists `"Module.function"` strings an exercise permits, and
  `"Module"` strings for a module it permits as a value (`use ExUnit.Case` in a mutation exercise).
  Returns `%{violations: [...], comments: [...], syntax_error: nil | map}`.
  """
  def check(source, allowed \\ []) do
    case Code.string_to_quoted(source, columns: true, emit_warnings: false) do
      {:ok, ast} ->
        {_ast, {findings, _line}} = Macro.prewalk(qualify_nested_modules(ast, []), {[], 1}, &visit_with_line/2)
        findings = Enum.reverse(findings)
        violations = for {:violation, f} <- findings, not allowed?(f, allowed), do: Map.drop(f, [:call, :value])
        comments = for {:comment, f} <- findings, do: f
        %{violations: Enum.uniq(violations), comments: Enum.uniq(comments), syntax_error: nil}

      {:error, {meta, message, token}} ->
        error = %{line: line(meta), message: "#{format_message(message)}#{token}"}
        %{violations: [], comments: [], syntax_error: error}
    end
  end

  defp format_message({prefix, suffix}), do: "#{prefix}#{suffix}"
  defp format_message(message), do: to_string(message)

  defp allowed?(%{call: call}, allowed) when is_binary(call), do: call in allowed
  defp allowed?(%{value: value}, allowed) when is_binary(value), do: value in allowed
  defp allowed?(_finding, _allowed), do: false

  # --- the walk -------------------------------------------------------------

  # Bare atoms carry no line: they get the line of the nearest node before them.
  defp visit_with_line(node, {findings, last_line}) do
    line = node_line(node) || last_line
    {node, findings} = visit(node, findings)
    {node, {Enum.map(findings, &fill_line(&1, line)), line}}
  end

  defp node_line({_form, meta, _args}) when is_list(meta), do: meta[:line]
  defp node_line(_node), do: nil

  defp fill_line({kind, %{line: nil} = finding}, line), do: {kind, %{finding | line: line}}
  defp fill_line(finding, _line), do: finding

  defp visit({:defmodule, meta, [name | rest]}, acc) do
    {{:defmodule, meta, [:__checked__ | rest]}, check_module_name(name, meta, acc)}
  end

  defp visit({{:., meta, [module_ast, fun]}, call_meta, args}, acc) when is_atom(fun) and is_list(args) do
    module = module_of(module_ast)
    meta = if meta[:line], do: meta, else: call_meta
    acc = check_remote(module, fun, args, meta, acc)
    acc = comment_remote(module, fun, args, meta, acc)
    module_node = if module, do: :__checked__, else: module_ast
    {{{:., meta, [module_node, fun]}, call_meta, args}, acc}
  end

  defp visit({:__aliases__, meta, [first | _] = parts} = node, acc) when is_atom(first) do
    module = Module.concat(parts)
    {node, check_module_value(module, meta, acc)}
  end

  defp visit(atom, acc) when is_atom(atom) do
    {atom, check_atom_value(atom, acc)}
  end

  defp visit(list, acc) when is_list(list) do
    {Enum.map(list, &keyword_value/1), acc}
  end

  defp visit({:try, meta, [clauses]} = node, acc) when is_list(clauses) do
    {node, comment_catch_all(clauses, meta, acc)}
  end

  defp visit({kind, meta, [_head, clauses]} = node, acc)
       when kind in [:def, :defp] and is_list(clauses) do
    {node, comment_catch_all(clauses, meta, acc)}
  end

  defp visit({local, meta, args} = node, acc) when local in [:spawn, :spawn_link] and is_list(args) do
    {node, add_comment(acc, meta, "bare-spawn", "Default Standards", bare_spawn_text(local))}
  end

  defp visit(node, acc), do: {node, acc}

  # Keyword keys such as `file:` are plain atoms: only their values are walked.
  defp keyword_value({key, value}) when is_atom(key), do: {:__key__, value}
  defp keyword_value(other), do: other

  # --- remote calls ---------------------------------------------------------

  defp module_of({:__aliases__, _meta, [first | _] = parts}) when is_atom(first), do: Module.concat(parts)
  defp module_of(module) when is_atom(module), do: module
  defp module_of(_computed), do: nil

  defp check_remote(nil, _fun, _args, _meta, acc), do: acc

  defp check_remote(module, fun, args, meta, acc) do
    cond do
      machinery?(module) ->
        violation(acc, meta, module, fun, "uses #{inspect(module)}, the test machinery")

      Map.has_key?(@whole_modules, module) and fun not in Map.get(@allowed_in_whole_modules, module, []) ->
        violation(acc, meta, module, fun, Map.fetch!(@whole_modules, module))

      module == System and fun not in @system_allowed ->
        violation(acc, meta, module, fun, "stops the VM, runs OS commands or reads the grader's environment")

      Map.has_key?(@atom_builders, {module, fun}) and not literal_args?(module, args) ->
        violation(acc, meta, module, fun, Map.fetch!(@atom_builders, {module, fun}))

      Map.has_key?(@atom_builders, {module, fun}) and names_sensitive_module?(args) ->
        violation(acc, meta, module, fun, "turns a string into the name of a module this exercise must not use")

      module == :erlang and fun == :binary_to_term and length(args) == 1 ->
        violation(acc, meta, module, fun, "decodes untrusted terms unsafely (use binary_to_term(bin, [:safe]))")

      reason = denied_function(module, fun, length(args)) ->
        violation(acc, meta, module, fun, reason)

      true ->
        acc
    end
  end

  # An entry is a reason (every arity is denied) or {arities, reason}.
  defp denied_function(module, fun, arity) do
    case @denied_functions |> Map.get(module, %{}) |> Map.get(fun) do
      {arities, reason} -> if arity in arities, do: reason
      reason -> reason
    end
  end

  defp literal_args?(Module, args), do: Enum.all?(List.wrap(args), &literal_module_part?/1)
  defp literal_args?(_module, [first | _]), do: is_binary(first) or is_list(first) and List.ascii_printable?(first)
  defp literal_args?(_module, _args), do: false

  defp names_sensitive_module?([name | _]) when is_binary(name) or is_list(name) do
    name = to_string(name)
    sensitive = Enum.map(Map.keys(@whole_modules) ++ [System, :erlang, Application, Function, Process], &Atom.to_string/1)
    machinery = Enum.map(@machinery, &"Elixir.#{&1}")
    name in sensitive or Enum.any?(machinery, &String.starts_with?(name, &1))
  end

  defp names_sensitive_module?(_args), do: false

  defp literal_module_part?({:__aliases__, _, _}), do: true
  defp literal_module_part?(list) when is_list(list), do: Enum.all?(list, &literal_module_part?/1)
  defp literal_module_part?(_other), do: false

  # A denied module used as a value (`m = File; m.read!(...)`, `alias File, as: F`).
  defp check_module_value(module, meta, acc) do
    cond do
      machinery?(module) -> violation(acc, meta, module, nil, "refers to #{inspect(module)}, the test machinery")
      sensitive_module?(module) -> violation(acc, meta, module, nil, "refers to #{inspect(module)} as a value")
      true -> acc
    end
  end

  defp check_atom_value(atom, acc) when atom in @value_atoms,
    do: violation(acc, [], atom, nil, "refers to #{inspect(atom)} as a value")

  defp check_atom_value(atom, acc) do
    case Atom.to_string(atom) do
      "Elixir." <> _ -> check_module_value(atom, [], acc)
      _ -> acc
    end
  end

  defp sensitive_module?(module) do
    Map.has_key?(@whole_modules, module) or module in [System, :erlang, Application, Function, Process]
  end

  defp machinery?(module) when is_atom(module) do
    case Module.split(module) do
      [first | _] -> String.to_existing_atom(first) in @machinery
    end
  rescue
    _ -> false
  end

  # --- module definitions ---------------------------------------------------

  # A `defmodule Config` inside `defmodule Shop` defines `Shop.Config`: each nested definition's
  # alias is given its enclosing module's parts first, so the name checked is the one defined.
  defp qualify_nested_modules({:defmodule, meta, [{:__aliases__, alias_meta, [first | _] = parts} | rest]}, outer)
       when is_atom(first) do
    full = if outer == [] or first == Elixir, do: parts, else: outer ++ parts
    {:defmodule, meta, [{:__aliases__, alias_meta, full} | qualify_nested_modules(rest, full)]}
  end

  defp qualify_nested_modules({form, meta, args}, outer) when is_list(args),
    do: {qualify_nested_modules(form, outer), meta, qualify_nested_modules(args, outer)}

  defp qualify_nested_modules({left, right}, outer),
    do: {qualify_nested_modules(left, outer), qualify_nested_modules(right, outer)}

  defp qualify_nested_modules(list, outer) when is_list(list), do: Enum.map(list, &qualify_nested_modules(&1, outer))
  defp qualify_nested_modules(other, _outer), do: other

  defp check_module_name({:__aliases__, meta, [first | _] = parts}, _meta, acc) when is_atom(first) do
    module = Module.concat(parts)

    cond do
      machinery?(module) ->
        violation(acc, meta, module, nil, "defines a module in #{inspect(module)}, the test machinery's namespace")

      :code.which(module) not in [:non_existing, ~c""] ->
        violation(acc, meta, module, nil, "redefines #{inspect(module)}, which Elixir or Erlang already defines")

      true ->
        acc
    end
  end

  defp check_module_name(_computed, meta, acc),
    do: violation(acc, meta, nil, nil, "defines a module whose name is computed at compile time")

  # --- playbook comments ----------------------------------------------------

  defp comment_catch_all(clauses, meta, acc) do
    acc
    |> comment_rescue(Keyword.get(clauses, :rescue), meta)
    |> comment_catch(Keyword.get(clauses, :catch), meta)
  end

  defp comment_rescue(acc, clauses, meta) when is_list(clauses) do
    Enum.reduce(clauses, acc, fn
      {:->, clause_meta, [[pattern], _body]}, acc ->
        if bare_variable?(pattern),
          do: add_comment(acc, clause_meta ++ meta, "catch-all-rescue", "Bad vs Good", catch_all_text("rescue")),
          else: acc

      _other, acc ->
        acc
    end)
  end

  defp comment_rescue(acc, _clauses, _meta), do: acc

  defp comment_catch(acc, clauses, meta) when is_list(clauses) do
    Enum.reduce(clauses, acc, fn
      {:->, clause_meta, [patterns, _body]}, acc when is_list(patterns) ->
        if Enum.all?(patterns, &bare_variable?/1),
          do: add_comment(acc, clause_meta ++ meta, "catch-all-catch", "Bad vs Good", catch_all_text("catch")),
          else: acc

      _other, acc ->
        acc
    end)
  end

  defp comment_catch(acc, _clauses, _meta), do: acc

  defp bare_variable?({name, _meta, context}) when is_atom(name) and is_atom(context), do: true
  defp bare_variable?(_pattern), do: false

  defp catch_all_text(word) do
    "`#{word}` with a bare variable catches every failure, bugs included, and hides operational " <>
      "signals: match the results you expect, turn dependency failures into {:error, reason} " <>
      "and let bugs crash."
  end

  defp comment_remote(Task, :start, _args, meta, acc) do
    add_comment(acc, meta, "unbounded-task", "Bad vs Good",
      "`Task.start` per item is unbounded fan-out: use Task.Supervisor.async_stream_nolink with :max_concurrency and :timeout."
    )
  end

  defp comment_remote(module, fun, args, meta, acc)
       when module in [GenServer, Task, Agent] and fun in [:call, :await, :get, :update] do
    if :infinity in List.wrap(args),
      do: add_comment(acc, meta, "infinite-timeout", "Default Standards",
            "an `:infinity` timeout waits forever on a slow dependency: make the timeout explicit."),
      else: acc
  end

  defp comment_remote(IO, fun, _args, meta, acc) when fun in [:puts, :inspect] do
    add_comment(acc, meta, "io-logging", "Default Standards",
      "`IO.#{fun}` is not logging: use Logger with metadata so operators can find and correlate it."
    )
  end

  defp comment_remote(_module, _fun, _args, _meta, acc), do: acc

  defp bare_spawn_text(local) do
    "a bare `#{local}` has no owner or supervision policy: start long-lived work under a supervisor."
  end

  # --- findings ---------------------------------------------------------------

  defp violation(acc, meta, module, fun, reason) do
    call = if module && fun, do: "#{name(module)}.#{fun}", else: nil
    subject = if call, do: "`#{call}` ", else: ""

    finding = %{
      line: line(meta),
      call: call,
      value: if(module && !fun, do: name(module)),
      message: "#{subject}#{reason}, which this exercise never needs"
    }

    [{:violation, finding} | acc]
  end

  defp add_comment(acc, meta, rule, section, text) do
    [{:comment, %{line: line(meta), rule: rule, section: section, message: text}} | acc]
  end

  defp name(module) when is_atom(module) do
    case Atom.to_string(module) do
      "Elixir." <> rest -> rest
      erlang -> ":" <> erlang
    end
  end

  defp line(meta) when is_list(meta), do: Keyword.get(meta, :line)
  defp line(_meta), do: nil
end
