defmodule Grader.Guard do
  @moduledoc """
  The run-time half of the allowlist: every call of the learner's code that the allowlist
  cannot decide from the code alone comes here (see `Grader.Verify`, which rewrites it).

  Those are dynamic calls (`deps.mailer.deliver(...)`, `apply/3`, captures of computed
  functions) and calls whose arguments decide whether they are safe: a message to a
  registered name, a table, a module to start as a process, a child spec, a function given
  by module and name. A call is allowed when the function it reaches is allowed
  (`Grader.Allowlist.rule/4`) and its arguments reach only what the learner's code made
  itself: names, tables and persistent terms that existed before the learner's code was
  loaded (`seal/1`) belong to the grader and the VM, and are refused.

  Functions given by module and name are not run here: they are rewritten to come back
  through `call/3` when they run, in whichever process runs them.
  """

  @context {__MODULE__, :context}
  @info_items [
    :message_queue_len, :memory, :status, :reductions, :heap_size, :total_heap_size, :stack_size,
    :registered_name, :current_function, :initial_call, :trap_exit, :priority, :garbage_collection,
    :min_heap_size, :min_bin_vheap_size, :message_queue_data, :current_location, :error_handler
  ]
  @system_info_items [
    :schedulers, :schedulers_online, :logical_processors, :logical_processors_available, :process_count,
    :process_limit, :port_count, :port_limit, :atom_count, :atom_limit, :ets_count, :ets_limit, :otp_release,
    :version, :wordsize, :system_version, :thread_pool_size, :time_warp_mode
  ]
  @fun_info_items [:arity, :module, :name, :type]
  @devices [:stdio, :stderr, :standard_io, :standard_error, :user]

  defmodule Denied do
    @moduledoc "Raised in the learner's process when its code reaches for something it may not use."
    defexception [:message]
  end

  @doc """
  Records what exists before any learner code is loaded: registered names, ETS tables and
  persistent terms, all of which learner code may not touch. `ctx` carries `own` (the
  learner's and the exercise's modules), `tests`, `extra` and `app`.
  """
  def seal(ctx) do
    tables = Enum.flat_map(:ets.all(), &[&1, :ets.info(&1, :id), :ets.info(&1, :name)])
    terms = for {key, _value} <- :persistent_term.get(), do: key

    sealed =
      Map.merge(ctx, %{
        names: MapSet.new(Process.registered()),
        tables: MapSet.new(tables),
        terms: MapSet.new([@context | terms])
      })

    :persistent_term.put(@context, sealed)
  end

  defp context, do: :persistent_term.get(@context)

  @doc "Calls `module.fun(args...)` if the learner's code may; raises `Denied` otherwise."
  def call(module, fun, args) when is_atom(module) and is_atom(fun) and is_list(args) do
    case Grader.Allowlist.rule(module, fun, length(args), context()) do
      :ok -> apply(module, fun, args)
      {:guard, checks} -> guarded(checks, module, fun, args)
      {:deny, reason} -> deny!(module, fun, length(args), reason)
    end
  end

  def call(module, fun, args), do: :erlang.apply(module, fun, args)

  @doc """
  `term.fun` without parentheses on a term that is not a map, as Elixir 1.18 compiles it (through
  `:elixir_erl_pass.no_parens_remote/2`): a zero-arity call when `term` is a module, checked like any other.
  """
  def no_parens_remote(module, fun) when is_atom(module), do: {:ok, call(module, fun, [])}
  def no_parens_remote(_term, _fun), do: :error

  @doc "`call/3` with `first` put before `args`, for functions given as `{m, f, a}` that get an extra argument."
  def call_prepended(first, module, fun, args) when is_list(args), do: call(module, fun, [first | args])

  @doc "A function of `arity` arguments that goes through `call/3`, for `&module.fun/arity` with computed names."
  def capture(module, fun, arity) when is_atom(module) and is_atom(fun) and is_integer(arity) do
    case Grader.Allowlist.rule(module, fun, arity, context()) do
      {:deny, reason} -> deny!(module, fun, arity, reason)
      _allowed -> fun_of_arity(arity, &call(module, fun, &1))
    end
  end

  def capture(module, fun, arity), do: :erlang.make_fun(module, fun, arity)

  defp fun_of_arity(0, f), do: fn -> f.([]) end
  defp fun_of_arity(1, f), do: fn a -> f.([a]) end
  defp fun_of_arity(2, f), do: fn a, b -> f.([a, b]) end
  defp fun_of_arity(3, f), do: fn a, b, c -> f.([a, b, c]) end
  defp fun_of_arity(4, f), do: fn a, b, c, d -> f.([a, b, c, d]) end
  defp fun_of_arity(5, f), do: fn a, b, c, d, e -> f.([a, b, c, d, e]) end
  defp fun_of_arity(6, f), do: fn a, b, c, d, e, g -> f.([a, b, c, d, e, g]) end
  defp fun_of_arity(arity, _f), do: raise(Denied, message: "a function of #{arity} arguments built from names")

  # --- the special cases ---------------------------------------------------------

  defp guarded(:apply, _module, _fun, [module, fun, args]), do: call(module, fun, args)
  defp guarded(:capture, _module, _fun, [module, fun, arity]), do: capture(module, fun, arity)

  defp guarded(:process_info, module, fun, [pid]), do: apply(module, fun, [pid, @info_items])

  defp guarded(:process_info, module, fun, [pid, items]) when is_list(items) do
    Enum.each(items, &info_item!(pid, &1))
    apply(module, fun, [pid, items])
  end

  defp guarded(:process_info, module, fun, [pid, item]) do
    info_item!(pid, item)
    apply(module, fun, [pid, item])
  end

  defp guarded(:whereis, :erlang, :whereis, [name]), do: if(protected_name?(name), do: :undefined, else: :erlang.whereis(name))
  defp guarded(:whereis, module, fun, [name]), do: if(protected_name?(name), do: nil, else: apply(module, fun, [name]))

  defp guarded(:process_flag, module, fun, [flag, value]) do
    if flag in [:error_handler, :save_calls], do: deny!(module, fun, 2, "it changes how this process runs code")
    apply(module, fun, [flag, value])
  end

  defp guarded(:binary_to_term, module, fun, args) do
    term = apply(module, fun, args)
    if reaches_out?(term), do: raise(Denied, message: "binary_to_term decoded a function, process or port: refused")
    term
  end

  defp guarded(:fun_info, module, fun, [f]), do: for(item <- @fun_info_items, do: apply(module, fun, [f, item]))

  defp guarded(:fun_info, module, fun, [f, item]) do
    if item not in @fun_info_items, do: deny!(module, fun, 2, "it reads what a function captured: #{inspect(item)}")
    apply(module, fun, [f, item])
  end

  defp guarded(:system_info, module, fun, [item]) do
    if item not in @system_info_items, do: deny!(module, fun, 1, "it reads VM internals: #{inspect(item)}")
    apply(module, fun, [item])
  end

  defp guarded(:supervisor_start, _module, _fun, [children | rest]) when is_list(children) do
    apply(Supervisor, :start_link, [Enum.map(children, &wrap_child/1) | Enum.map(rest, &options!/1)])
  end

  defp guarded(:supervisor_start, module, fun, [callback, arg | rest]) do
    module!(module, fun, callback)
    apply(Supervisor, :start_link, [Grader.Guard.Supervised, {callback, arg} | Enum.map(rest, &options!/1)])
  end

  defp guarded(checks, module, fun, args) when is_list(checks) do
    apply(module, fun, Enum.reduce(checks, args, &check(&1, &2, module, fun)))
  end

  # --- checks on one argument (by position); each returns the arguments to call with

  defp check({_kind, i}, args, _module, _fun) when i >= length(args), do: args
  defp check({:mfa, i}, args, _module, _fun), do: replace_mfa(args, i, :call)
  defp check({:dispatch, i}, args, _module, _fun), do: List.update_at(args, i, &dispatch_target/1)
  defp check({:children, i}, args, _module, _fun), do: List.update_at(args, i, &Enum.map(&1, fn c -> wrap_child(c) end))
  defp check({:child_spec, i}, args, _module, _fun), do: List.update_at(args, i, &wrap_child/1)
  defp check({:options, i}, args, _module, _fun), do: List.update_at(args, i, &options!/1)

  defp check({:partition_options, i}, args, _module, _fun),
    do: List.update_at(args, i, fn opts -> opts |> options!() |> Keyword.update(:child_spec, nil, &wrap_child/1) end)

  defp check({kind, i}, args, module, fun) do
    value = Enum.at(args, i)
    if refused?(kind, value), do: deny!(module, fun, length(args), refusal(kind, value))
    args
  end

  defp refused?(:dest, dest), do: protected_dest?(dest)
  defp refused?(:name, name), do: protected_dest?(name)
  defp refused?(:device, device), do: device not in @devices and protected_dest?(device)
  defp refused?(:module, module), do: not (is_atom(module) and MapSet.member?(context().own, module))
  defp refused?(:table, table), do: protected_table?(table)
  defp refused?(:term_key, key), do: protected_term?(key)
  defp refused?(:own_app, app), do: app != context().app
  defp refused?(:learner_module, module),
    do: not (is_atom(module) and MapSet.member?(context().own, module) and module not in context().skip)

  defp refusal(:module, module), do: "it starts #{inspect(module)}, which is not this exercise's code, as a process"
  defp refusal(:table, table), do: "it uses the table #{inspect(table)}, which belongs to the grader or the VM"
  defp refusal(:term_key, key), do: "it uses the persistent term #{inspect(key)}, which belongs to the grader or the VM"
  defp refusal(:learner_module, module), do: "it reads how #{inspect(module)}, which is not your test's module, was built"
  defp refusal(:own_app, app), do: "it changes the settings of #{inspect(app)}, another application"
  defp refusal(_kind, dest), do: "it reaches #{inspect(dest)}, a process of the grader or the VM"

  defp module!(module, fun, callback) do
    if refused?(:module, callback), do: deny!(module, fun, 3, refusal(:module, callback))
  end

  defp replace_mfa(args, i, via) do
    {before, [m, f, a | rest]} = Enum.split(args, i)
    before ++ [__MODULE__, via, [m, f, a]] ++ rest
  end

  defp dispatch_target({m, f, a}), do: {__MODULE__, :call_prepended, [m, f, a]}
  defp dispatch_target(other), do: other

  defp options!(opts) when is_list(opts) do
    case Keyword.get(opts, :name) do
      nil -> opts
      name -> if protected_dest?(name), do: raise(Denied, message: refusal(:name, name)), else: opts
    end
  end

  defp options!(other), do: other

  @doc """
  A child spec whose start function goes through `call/3` when the supervisor runs it, so a
  spec built from data cannot start what the learner's code may not call.
  """
  def wrap_child(%{start: {__MODULE__, _f, _a}} = spec), do: spec
  def wrap_child(%{start: {m, f, a}} = spec), do: Map.put_new(%{spec | start: {__MODULE__, :call, [m, f, a]}}, :modules, [m])
  def wrap_child({id, {__MODULE__, _, _} = start, r, s, t, mods}), do: {id, start, r, s, t, mods}
  def wrap_child({id, {m, f, a}, r, s, t, mods}), do: {id, {__MODULE__, :call, [m, f, a]}, r, s, t, mods}
  def wrap_child({module, arg}) when is_atom(module), do: wrap_child(call(module, :child_spec, [arg]))
  def wrap_child(module) when is_atom(module), do: wrap_child(call(module, :child_spec, [[]]))
  def wrap_child(other), do: other

  # --- what belongs to the grader and the VM ---------------------------------------

  defp protected_dest?(name) when is_atom(name), do: protected_name?(name)
  defp protected_dest?({name, node}) when is_atom(name) and is_atom(node), do: protected_name?(name)
  defp protected_dest?({:via, Registry, {registry, _key}}), do: protected_name?(registry)
  defp protected_dest?({:via, Registry, {registry, _key, _value}}), do: protected_name?(registry)
  defp protected_dest?({:via, PartitionSupervisor, {name, _key}}), do: protected_name?(name)
  defp protected_dest?({:via, module, _name}), do: not MapSet.member?(context().own, module)
  defp protected_dest?(_pid_or_other), do: false

  defp protected_name?(name) when is_atom(name) do
    MapSet.member?(context().names, name) or Grader.Allowlist.machinery?(name)
  end

  defp protected_name?(_other), do: false

  defp protected_table?(table) do
    tables = context().tables
    MapSet.member?(tables, table) or MapSet.member?(tables, :ets.info(table, :id)) or
      (is_atom(table) and Grader.Allowlist.machinery?(table))
  end

  defp protected_term?(key) do
    owner = if is_tuple(key) and tuple_size(key) > 0, do: elem(key, 0), else: key
    MapSet.member?(context().terms, key) or (is_atom(owner) and Grader.Allowlist.machinery?(owner))
  end

  defp info_item!(pid, :messages) when pid == self(), do: :ok

  defp info_item!(_pid, item) do
    if item not in @info_items, do: raise(Denied, message: "Process.info/2 of #{inspect(item)} reads what this exercise's code may not")
  end

  defp reaches_out?(term) when is_function(term) or is_pid(term) or is_port(term), do: true
  defp reaches_out?(term) when is_list(term), do: reaches_out_list?(term)
  defp reaches_out?(term) when is_tuple(term), do: reaches_out_list?(Tuple.to_list(term))
  defp reaches_out?(term) when is_map(term), do: reaches_out_list?(Map.to_list(term))
  defp reaches_out?(_term), do: false

  defp reaches_out_list?([head | tail]), do: reaches_out?(head) or reaches_out_list?(tail)
  defp reaches_out_list?([]), do: false
  defp reaches_out_list?(improper_tail), do: reaches_out?(improper_tail)

  defp deny!(module, fun, arity, reason) do
    raise Denied, message: "#{Grader.Allowlist.describe(module, fun, arity)}: not allowed in this exercise (#{reason})"
  end
end

defmodule Grader.Guard.Supervised do
  @moduledoc """
  Runs a learner's supervisor module: its `init/1` answer is passed on with every child's
  start function routed through `Grader.Guard`, as for supervisors started from a list.
  """
  @behaviour Supervisor

  @impl true
  def init({module, arg}) do
    case module.init(arg) do
      {:ok, {flags, children}} when is_list(children) -> {:ok, {flags, Enum.map(children, &Grader.Guard.wrap_child/1)}}
      other -> other
    end
  end
end
