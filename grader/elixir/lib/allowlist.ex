defmodule Grader.Allowlist do
  @moduledoc """
  What a learner's compiled code may call, one function at a time.

  `rule/4` answers, for a remote call `module.fun/arity`, one of:

    * `:ok`: called directly;
    * `{:guard, checks}`: called through `Grader.Guard`, which checks the arguments named by
      `checks` at run time (a registered name, a table, a module to start, a child spec, ...);
    * `{:deny, reason}`: the code is rejected before it is loaded, with `reason` in words.

  What is allowed is the standard library the exercises need: data structures, OTP behaviours,
  processes, logging, time. What reaches past the learner's own processes (files, ports, the
  code server, tracing, other processes' state, the VM's names and tables, evaluating code) is
  denied or guarded. The learner's modules and the exercise's own modules are always allowed;
  a module that does not exist is allowed too, so a typo fails as `UndefinedFunctionError`.
  """

  @pure_modules [
    Enum, Stream, Map, MapSet, List, Keyword, Tuple, String, Integer, Float, Range, Access, Base, Bitwise,
    Date, Time, DateTime, NaiveDateTime, Calendar, Calendar.ISO, Regex, URI, Version, Atom, Exception,
    Inspect, Inspect.Algebra, Inspect.Opts, String.Chars, List.Chars, Enumerable, Collectable, StringIO,
    :lists, :maps, :queue, :sets, :ordsets, :orddict, :gb_trees, :gb_sets, :proplists, :dict, :array,
    :binary, :string, :unicode, :math, :rand, :calendar, :io_lib, :counters, :atomics, :base64,
    :uri_string, :re, :zlib, :unicode_util, :erl_anno, :json, JSON
  ]

  @erlang_pure ~w(
    abs adler32 adler32_combine append_element atom_to_binary atom_to_list binary_part
    binary_to_existing_atom binary_to_float binary_to_integer binary_to_list bit_size bitstring_to_list
    bump_reductions byte_size cancel_timer ceil convert_time_unit crc32 crc32_combine date decode_packet
    delete_element demonitor element erase error exit external_size float float_to_binary float_to_list
    floor fun_to_list function_exported garbage_collect get get_keys get_module_info hd insert_element
    integer_to_binary integer_to_list iolist_size iolist_to_binary iolist_to_iovec is_alive is_atom
    is_binary is_bitstring is_boolean is_builtin is_float is_function is_integer is_list is_map is_map_key
    is_number is_pid is_port is_process_alive is_record is_reference is_tuple length link
    list_to_binary list_to_bitstring list_to_existing_atom list_to_float list_to_integer list_to_tuple
    localtime localtime_to_universaltime make_ref make_tuple map_get map_size max md5 md5_final md5_init
    md5_update memory min module_loaded monitor monotonic_time node nodes now phash phash2 pid_to_list
    put raise read_timer ref_to_list round self setelement size split_binary statistics system_time
    term_to_binary term_to_iovec throw time time_offset timestamp tl trunc tuple_size tuple_to_list
    unique_integer universaltime universaltime_to_localtime unlink yield alias unalias and or xor not div rem band bor
    bxor bnot bsl bsr + - * / == /= =< < >= > =:= =/= ++ -- apply
  )a

  # Elixir compiles these calls into the Erlang ones: an exercise that allows the first allows both.
  @written_as %{
    {:erlang, :binary_to_atom} => [{String, :to_atom}],
    {:erlang, :list_to_atom} => [{List, :to_atom}],
    {:erlang, :binary_to_existing_atom} => [{String, :to_existing_atom}],
    {:erlang, :list_to_existing_atom} => [{List, :to_existing_atom}]
  }

  @machinery ["Elixir.Grader.", "Elixir.ExUnit.", "Elixir.Mix.", "Elixir.IEx.", "Elixir.Mix", "Elixir.ExUnit"]

  @doc """
  The rule for `module.fun/arity` called from the learner's code. `own` is the set of the
  learner's and the exercise's modules; `tests` the test modules; `extra` the `{module, fun}`
  pairs the exercise allows beyond this list; `mode: :mutation` (a mutation exercise, whose
  learner file is a test file) asks `Grader.Mutation.rule/5` first.
  """
  def rule(module, fun, arity, %{mode: :mutation} = ctx) when is_atom(module) and is_atom(fun),
    do: Grader.Mutation.rule(module, fun, arity, ctx, fn -> standard_rule(module, fun, arity, ctx) end)

  def rule(module, fun, arity, ctx) when is_atom(module) and is_atom(fun), do: standard_rule(module, fun, arity, ctx)

  defp standard_rule(module, fun, arity, %{own: own} = ctx) do
    cond do
      MapSet.member?(own, module) -> :ok
      machinery?(module) or MapSet.member?(ctx.tests, module) -> {:deny, "it is the test machinery"}
      true -> module |> library(fun, arity) |> allow_extra(module, fun, ctx)
    end
  end

  defp allow_extra({:deny, _reason} = denied, module, fun, ctx) do
    names = [{module, fun} | Map.get(@written_as, {module, fun}, [])]
    if Enum.any?(names, &MapSet.member?(ctx.extra, &1)), do: :ok, else: denied
  end

  defp allow_extra(rule, _module, _fun, _ctx), do: rule

  @doc "True for the grader's and ExUnit's own modules, which learner code never touches."
  def machinery?(module) when is_atom(module) do
    name = Atom.to_string(module)
    Enum.any?(@machinery, &(name == String.trim_trailing(&1, ".") or String.starts_with?(name, &1)))
  end

  # --- the standard library ----------------------------------------------------

  defp library(module, :to_atom, 1) when module in [String, List],
    do: {:deny, "it creates atoms from data, and atoms are never freed (use to_existing_atom or an allow-list)"}

  defp library(module, _fun, _arity) when module in @pure_modules, do: :ok

  defp library(:erlang, fun, arity), do: erlang(fun, arity)
  defp library(Kernel, :apply, 3), do: {:guard, :apply}
  defp library(Kernel, fun, 3) when fun in [:spawn, :spawn_link, :spawn_monitor], do: {:guard, [mfa: 0]}
  defp library(Kernel, :send, 2), do: {:guard, [dest: 0]}
  defp library(Kernel, _fun, _arity), do: :ok

  defp library(Path, :wildcard, _arity), do: {:deny, "it lists files on disk"}
  defp library(Path, _fun, _arity), do: :ok

  defp library(Kernel.Utils, fun, _arity) when fun in [:raise, :destructure], do: :ok

  defp library(Function, :capture, 3), do: {:guard, :capture}
  defp library(Function, :info, _arity), do: {:guard, :fun_info}
  defp library(Function, _fun, _arity), do: :ok

  defp library(Process, fun, _arity) when fun in [:list, :registered, :group_leader],
    do: {:deny, "it lists or redirects other processes"}

  defp library(Process, :info, _arity), do: {:guard, :process_info}
  defp library(Process, :whereis, 1), do: {:guard, :whereis}
  defp library(Process, :register, 2), do: {:guard, [name: 1]}
  defp library(Process, :unregister, 1), do: {:guard, [name: 0]}
  defp library(Process, :flag, 2), do: {:guard, :process_flag}
  defp library(Process, :flag, 3), do: {:deny, "it changes another process's flags"}
  defp library(Process, :send, 3), do: {:guard, [dest: 0]}
  defp library(Process, :send_after, _arity), do: {:guard, [dest: 0]}
  defp library(Process, :spawn, 4), do: {:guard, [mfa: 0]}
  defp library(Process, :hibernate, 3), do: {:guard, [mfa: 0]}
  defp library(Process, _fun, _arity), do: :ok

  defp library(GenServer, fun, _arity) when fun in [:start, :start_link], do: {:guard, [module: 0, options: 2]}
  defp library(GenServer, fun, _arity) when fun in [:call, :cast, :stop, :whereis], do: {:guard, [dest: 0]}
  defp library(GenServer, fun, _arity) when fun in [:multi_call, :abcast], do: {:deny, "it talks to processes on other nodes"}
  defp library(GenServer, _fun, _arity), do: :ok

  defp library(:gen_statem, fun, 3) when fun in [:start, :start_link], do: {:guard, [module: 0, options: 2]}
  defp library(:gen_statem, fun, 4) when fun in [:start, :start_link], do: {:guard, [name: 0, module: 1, options: 3]}
  defp library(:gen_statem, fun, _arity) when fun in [:call, :cast, :stop, :send_request], do: {:guard, [dest: 0]}
  defp library(:gen_statem, fun, _arity) when fun in [:reply, :receive_response, :wait_response, :check_response],
    do: :ok

  defp library(Agent, fun, 4) when fun in [:start, :start_link], do: {:guard, [mfa: 0, options: 3]}
  defp library(Agent, fun, 3) when fun in [:start, :start_link], do: {:guard, [mfa: 0]}
  defp library(Agent, fun, _arity) when fun in [:start, :start_link], do: {:guard, [options: 1]}
  defp library(Agent, fun, arity) when fun in [:get, :update, :get_and_update, :cast] and arity >= 4,
    do: {:guard, [dest: 0, mfa: 1]}

  defp library(Agent, :child_spec, 1), do: :ok
  defp library(Agent, _fun, _arity), do: {:guard, [dest: 0]}

  defp library(Task, fun, 3) when fun in [:async, :start, :start_link], do: {:guard, [mfa: 0]}
  defp library(Task, fun, arity) when fun in [:async_stream] and arity >= 4, do: {:guard, [mfa: 1]}
  defp library(Task, _fun, _arity), do: :ok

  defp library(Task.Supervisor, :start_link, _arity), do: :ok
  defp library(Task.Supervisor, fun, arity) when fun in [:async, :async_nolink, :start_child] and arity >= 4,
    do: {:guard, [dest: 0, mfa: 1]}

  defp library(Task.Supervisor, fun, arity) when fun in [:async_stream, :async_stream_nolink] and arity >= 5,
    do: {:guard, [dest: 0, mfa: 2]}

  defp library(Task.Supervisor, _fun, _arity), do: {:guard, [dest: 0]}

  defp library(Supervisor, :start_link, _arity), do: {:guard, :supervisor_start}
  defp library(Supervisor, :init, 2), do: {:guard, [children: 0]}
  defp library(Supervisor, :child_spec, 2), do: {:guard, [child_spec: 0]}
  defp library(Supervisor, :start_child, 2), do: {:guard, [dest: 0, child_spec: 1]}
  defp library(Supervisor, _fun, _arity), do: {:guard, [dest: 0]}

  defp library(DynamicSupervisor, :start_link, 1), do: {:guard, [options: 0]}
  defp library(DynamicSupervisor, :start_link, _arity), do: {:guard, [module: 0, options: 2]}
  defp library(DynamicSupervisor, fun, _arity) when fun in [:init, :child_spec], do: :ok
  defp library(DynamicSupervisor, :start_child, 2), do: {:guard, [dest: 0, child_spec: 1]}
  defp library(DynamicSupervisor, _fun, _arity), do: {:guard, [dest: 0]}

  defp library(PartitionSupervisor, fun, 1) when fun in [:start_link, :child_spec], do: {:guard, [partition_options: 0]}
  defp library(PartitionSupervisor, _fun, _arity), do: {:guard, [dest: 0]}

  defp library(:pg, _fun, 0), do: :ok
  defp library(:pg, _fun, _arity), do: {:guard, [dest: 0]}

  defp library(Node, fun, _arity) when fun in [:self, :alive?, :list], do: :ok

  defp library(Registry, fun, _arity) when fun in [:start_link, :child_spec], do: {:guard, [options: 0]}
  defp library(Registry, :dispatch, _arity), do: {:guard, [dest: 0, dispatch: 2]}
  defp library(Registry, _fun, _arity), do: {:guard, [dest: 0]}

  defp library(:proc_lib, fun, 1) when fun in [:spawn, :spawn_link], do: :ok
  defp library(:proc_lib, fun, 3) when fun in [:spawn, :spawn_link], do: {:guard, [mfa: 0]}

  defp library(Logger, fun, _arity)
       when fun in [:__should_log__, :__do_log__, :bare_log, :metadata, :reset_metadata, :level,
                    :compare_levels, :enabled?, :debug, :info, :notice, :warn, :warning, :error,
                    :critical, :alert, :emergency, :log],
       do: :ok

  defp library(:logger, fun, _arity)
       when fun in [:macro_log, :allow, :log, :debug, :info, :notice, :warning, :error, :critical, :alert,
                    :emergency, :update_process_metadata, :set_process_metadata, :get_process_metadata,
                    :unset_process_metadata, :compare_levels],
       do: :ok

  defp library(module, _fun, _arity) when module in [Logger, :logger],
    do: {:deny, "it changes how the whole VM logs"}

  defp library(System, fun, _arity)
       when fun in [:monotonic_time, :system_time, :os_time, :convert_time_unit, :unique_integer, :schedulers,
                    :schedulers_online, :version, :otp_release, :stacktrace, :time_offset, :build_info],
       do: :ok

  defp library(System, _fun, _arity), do: {:deny, "it stops the VM, runs OS commands or reads the environment"}

  defp library(Application, fun, _arity)
       when fun in [:get_env, :fetch_env, :fetch_env!, :get_all_env, :compile_env, :compile_env!, :get_application],
       do: :ok

  defp library(Application, fun, _arity) when fun in [:put_env, :put_all_env, :delete_env],
    do: {:guard, [own_app: 0]}

  defp library(Application, _fun, _arity), do: {:deny, "it starts, stops or inspects other applications"}

  defp library(Code, fun, 1) when fun in [:ensure_loaded, :ensure_loaded?, :ensure_compiled, :ensure_compiled!],
    do: :ok

  defp library(Code, _fun, _arity), do: {:deny, "it compiles and evaluates code at run time"}

  defp library(Module, fun, _arity) when fun in [:concat, :safe_concat, :split], do: :ok
  defp library(Module, _fun, _arity), do: {:deny, "it defines or changes modules at run time"}

  defp library(IO, fun, 2) when fun in [:puts, :write, :binwrite, :gets, :read, :binread, :getn, :stream, :binstream],
    do: {:guard, [device: 0]}

  defp library(IO, :inspect, 3), do: {:guard, [device: 0]}
  defp library(IO, :getn, 3), do: {:guard, [device: 0]}
  defp library(IO, _fun, _arity), do: :ok

  defp library(:io, fun, arity) when fun in [:format, :fwrite] and arity == 3, do: {:guard, [device: 0]}
  defp library(:io, fun, arity) when fun in [:put_chars, :nl, :write] and arity == 2, do: {:guard, [device: 0]}
  defp library(:io, :nl, 1), do: {:guard, [device: 0]}
  defp library(:io, fun, _arity) when fun in [:format, :fwrite, :put_chars, :nl, :write, :columns, :rows], do: :ok

  defp library(:timer, fun, 4) when fun in [:apply_after, :apply_interval, :apply_repeatedly], do: {:guard, [mfa: 1]}
  defp library(:timer, fun, 3) when fun in [:send_after, :send_interval], do: {:guard, [dest: 1]}
  defp library(:timer, fun, _arity) when fun in [:apply_after, :apply_interval, :apply_repeatedly],
    do: {:deny, "it calls a computed function later"}

  defp library(:timer, _fun, _arity), do: :ok

  defp library(:ets, fun, _arity)
       when fun in [:new, :fun2ms, :repair_continuation, :match_spec_compile, :match_spec_run, :is_compiled_ms,
                    :test_ms],
       do: :ok

  defp library(:ets, fun, 1) when fun in [:select, :match, :match_object, :select_reverse], do: :ok
  defp library(:ets, fun, _arity) when fun in [:all, :i, :tab2file, :file2tab, :tabfile_info, :to_dets, :from_dets],
    do: {:deny, "it lists every table or reads and writes files"}

  defp library(:ets, _fun, _arity), do: {:guard, [table: 0]}

  defp library(:persistent_term, :get, 0), do: {:deny, "it lists every persistent term (use get/1 or get/2)"}
  defp library(:persistent_term, fun, _arity) when fun in [:get, :put, :erase], do: {:guard, [term_key: 0]}
  defp library(:persistent_term, :info, 0), do: :ok

  defp library(:crypto, fun, _arity) when fun in [:engine_load, :engine_add, :engine_ctrl_cmd_string, :ensure_engine_loaded],
    do: {:deny, "it loads native code"}

  defp library(:crypto, _fun, _arity), do: :ok

  defp library(:os, fun, _arity) when fun in [:system_time, :timestamp, :type, :version, :perf_counter], do: :ok

  defp library(module, fun, _arity) do
    cond do
      exception?(module) and fun in [:exception, :message, :blame, :__struct__] -> :ok
      unknown?(module) -> :ok
      reason = denied_module(module) -> {:deny, reason}
      true -> {:deny, "it is not on the list of functions this exercise's code may use"}
    end
  end

  # --- :erlang -----------------------------------------------------------------

  defp erlang(:apply, 3), do: {:guard, :apply}
  defp erlang(:make_fun, 3), do: {:guard, :capture}
  defp erlang(fun, 3) when fun in [:spawn, :spawn_link, :spawn_monitor], do: {:guard, [mfa: 0]}
  defp erlang(:spawn_opt, 4), do: {:guard, [mfa: 0]}
  defp erlang(:hibernate, 3), do: {:guard, [mfa: 0]}
  defp erlang(fun, 1) when fun in [:spawn, :spawn_link, :spawn_monitor], do: :ok
  defp erlang(:spawn_opt, 2), do: :ok
  defp erlang(:exit, 2), do: :ok
  defp erlang(fun, _arity) when fun in [:send, :send_nosuspend], do: {:guard, [dest: 0]}
  defp erlang(fun, _arity) when fun in [:send_after, :start_timer], do: {:guard, [dest: 1]}
  defp erlang(:process_info, _arity), do: {:guard, :process_info}
  defp erlang(:whereis, 1), do: {:guard, :whereis}
  defp erlang(:register, 2), do: {:guard, [name: 0]}
  defp erlang(:unregister, 1), do: {:guard, [name: 0]}
  defp erlang(:process_flag, 2), do: {:guard, :process_flag}
  defp erlang(:binary_to_term, _arity), do: {:guard, :binary_to_term}
  defp erlang(:fun_info, _arity), do: {:guard, :fun_info}
  defp erlang(:system_info, 1), do: {:guard, :system_info}
  defp erlang(fun, _arity) when fun in [:binary_to_atom, :list_to_atom],
    do: {:deny, "it creates atoms from data, and atoms are never freed (use to_existing_atom or an allow-list)"}

  defp erlang(:halt, _arity), do: {:deny, "it stops the VM"}
  defp erlang(fun, _arity) when fun in [:open_port, :port_command, :port_control, :port_connect, :port_close, :ports],
    do: {:deny, "it starts or talks to operating-system programs"}

  defp erlang(fun, _arity) when fun in [:processes, :registered, :group_leader, :list_to_pid, :list_to_port],
    do: {:deny, "it lists, names or redirects other processes"}

  defp erlang(fun, _arity) when fun in [:load_module, :purge_module, :delete_module, :check_process_code, :load_nif],
    do: {:deny, "it loads or removes compiled code"}

  defp erlang(fun, _arity) when fun in [:trace, :trace_pattern, :trace_info, :trace_delivered, :seq_trace, :system_monitor, :system_profile],
    do: {:deny, "it traces other processes"}

  defp erlang(fun, _arity) when fun in @erlang_pure, do: :ok
  defp erlang(_fun, _arity), do: {:deny, "it is not on the list of functions this exercise's code may use"}

  # --- other modules -------------------------------------------------------------

  @denied_modules %{
    File => "it reads and writes files",
    Port => "it starts operating-system programs",
    Node => "it reaches other nodes",
    :file => "it reads and writes files",
    :filelib => "it reads and writes files",
    :prim_file => "it reads and writes files",
    :os => "it runs operating-system commands or reads the environment",
    :code => "it loads and replaces compiled code",
    :init => "it stops or restarts the VM",
    :erl_eval => "it evaluates code at run time",
    :erl_prim_loader => "it reads files",
    :erl_ddll => "it loads native drivers",
    :compile => "it compiles code at run time",
    :rpc => "it runs code on other nodes",
    :erpc => "it runs code on other nodes",
    :peer => "it starts other nodes",
    :slave => "it starts other nodes",
    :net_kernel => "it reaches other nodes",
    :dbg => "it traces other processes",
    :sys => "it inspects and changes other processes' state",
    :seq_trace => "it traces other processes",
    :application => "it starts, stops or inspects other applications",
    :gen_server => "it talks to processes past the checks GenServer has here (use GenServer)",
    :gen => "it talks to processes past the checks GenServer has here (use GenServer)",
    :gen_event => "it talks to event managers of the VM",
    :supervisor => "it starts code past the checks Supervisor has here (use Supervisor)",
    :proc_lib => "it starts code past the checks here (use spawn_link/1 or Task)",
    :global => "it reaches processes of other nodes",
    :error_logger => "it changes how the whole VM logs",
    :c => "it uses the shell's helpers"
  }

  defp denied_module(module), do: Map.get(@denied_modules, module)

  defp exception?(module) do
    case Atom.to_string(module) do
      "Elixir." <> name -> String.ends_with?(name, "Error")
      _erlang -> false
    end
  end

  # A module that is neither loaded nor on the code path: the call can only fail.
  defp unknown?(module), do: not :erlang.module_loaded(module) and :code.which(module) == :non_existing

  @doc "A readable name for `module.fun/arity`."
  def describe(module, fun, arity) do
    name =
      case Atom.to_string(module) do
        "Elixir." <> rest -> rest
        erlang -> inspect(String.to_atom(erlang))
      end

    "#{name}.#{fun}/#{arity}"
  end
end
