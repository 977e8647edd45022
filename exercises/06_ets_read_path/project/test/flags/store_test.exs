defmodule Flags.StoreTest do
  use ExUnit.Case

  alias Flags.Store

  @store Flags.StoreTest.Store
  @initial %{new_checkout: true, dark_mode: false}

  # How long a read may take while the owner is busy: generous, a direct read takes microseconds.
  @read_bound 3_000

  setup do
    owner = start_supervised!({Store, name: @store, flags: @initial})
    on_exit(fn -> if Process.alive?(owner), do: :sys.resume(owner) end)
    %{owner: owner}
  end

  @tag points: 1
  test "a flag that was put is on, a flag turned off is off, unknown flags are off, put/3 takes only booleans" do
    assert Store.enabled?(@store, :new_checkout) == true
    assert Store.put(@store, :beta_search, true) == :ok
    assert Store.enabled?(@store, :beta_search) == true
    assert Store.put(@store, :new_checkout, false) == :ok
    assert Store.enabled?(@store, :new_checkout) == false
    assert Store.enabled?(@store, :never_heard_of) == false

    # put/3 keeps its is_boolean guard: "false" is a string, and a truthy one.
    refused =
      try do
        Store.put(@store, :dark_mode, "false")
      rescue
        FunctionClauseError -> :refused
      end

    assert refused == :refused and Store.enabled?(@store, :dark_mode) == false,
           "put(store, :dark_mode, \"false\") answered #{inspect(refused)} and the flag now " <>
             "reads #{inspect(Store.enabled?(@store, :dark_mode))}: keep put/3 as it was, " <>
             "refusing anything but a boolean (its is_boolean/1 guard), so enabled?/2 always " <>
             "answers true or false"
  end

  @tag points: 3
  test "enabled?/2 still answers while the owner is busy (suspended with :sys.suspend)", %{
    owner: owner
  } do
    :sys.suspend(owner)

    assert read_while_busy(:new_checkout) == {:ok, true},
           "with the store process busy, enabled?(store, :new_checkout) did not answer true"

    assert read_while_busy(:dark_mode) == {:ok, false}
    assert read_while_busy(:never_heard_of) == {:ok, false}
    :sys.resume(owner)
  end

  @tag points: 1
  test "the table enabled?/2 reads is owned by the store process and :protected", %{owner: owner} do
    for table <- flag_tables(owner) do
      assert :ets.info(table, :protection) == :protected,
             "the flag table is #{inspect(:ets.info(table, :protection))}: make it :protected " <>
               "(every process reads, only the owner writes)"
    end
  end

  @tag points: 1
  test "the table enabled?/2 reads is created with read_concurrency: true", %{owner: owner} do
    for table <- flag_tables(owner) do
      assert :ets.info(table, :read_concurrency) == true,
             "the flag table was created without read_concurrency: true, the option for " <>
               "tables that many processes read at once and few write"
    end
  end

  @tag points: 1
  test "another process cannot write to the flag table (ArgumentError)", %{owner: owner} do
    for table <- flag_tables(owner) do
      outcome =
        try do
          :ets.insert(table, {:new_checkout, false})
        rescue
          ArgumentError -> :refused
        end

      assert outcome == :refused,
             "a process other than the owner wrote to the table: make it :protected, not " <>
               ":public, so every write goes through the store"
    end

    assert Store.enabled?(@store, :new_checkout) == true
  end

  @tag points: 2
  test "put/3 goes through the owner, and readers see the change without asking the owner", %{
    owner: owner
  } do
    :sys.suspend(owner)
    writer = Task.async(fn -> Store.put(@store, :beta_search, true) end)

    assert Task.yield(writer, 300) == nil,
           "put/3 returned while the store process was suspended: writes must go through " <>
             "the store, the one process allowed to write its table"

    :sys.resume(owner)
    assert Task.await(writer, 5_000) == :ok

    :sys.suspend(owner)

    assert read_while_busy(:beta_search) == {:ok, true},
           "after put(store, :beta_search, true) returned, a reader did not see it"

    :sys.resume(owner)

    # put/3 returns once the table is updated: the store writes, then answers.
    {writes, answers} = writes_and_answers(owner, fn -> Store.put(@store, :dark_mode, true) end)

    assert writes != [] and (answers == [] or hd(writes) < hd(answers)),
           "put/3 was answered before the store wrote the table: a reader that looks right " <>
             "after put/3 returns can still see the old value. Write the table, then reply"
  end

  # --- helpers ----------------------------------------------------------------

  defp read_while_busy(flag) do
    reader = Task.async(fn -> Store.enabled?(@store, flag) end)

    case Task.yield(reader, @read_bound) || Task.shutdown(reader, :brutal_kill) do
      {:ok, answer} ->
        {:ok, answer}

      {:exit, reason} ->
        flunk("enabled?(store, #{inspect(flag)}) crashed: #{inspect(reason, limit: 5)}")

      nil ->
        flunk(
          "enabled?(store, #{inspect(flag)}) was still waiting after #{@read_bound} ms because " <>
            "the store process was busy: every read queues in its mailbox, so one slow " <>
            "moment of the owner stalls every request. Read the table directly instead."
        )
    end
  end

  @ets_writes ~w(insert insert_new update_element update_counter delete delete_object)a

  # Runs `fun` in the test process and returns the positions, in the store process's own order of
  # events, of its ETS writes and of the answers it sent to the test process.
  defp writes_and_answers(owner, fun) do
    test = self()
    :erlang.trace(owner, true, [:call, :send, {:tracer, test}])
    :erlang.trace_pattern({:ets, :_, :_}, true, [:global])

    try do
      fun.()
      ref = :erlang.trace_delivered(owner)
      assert_receive {:trace_delivered, ^owner, ^ref}, 5_000
    after
      :erlang.trace(owner, false, [:call, :send])
      :erlang.trace_pattern({:ets, :_, :_}, false, [:global])
    end

    events = owner_events(owner, [])
    writes = for {{:write, _}, at} <- Enum.with_index(events), do: at
    # A call's answer goes to the caller's pid, or to the alias the call made (a reference).
    answers = for {{:sent, to}, at} <- Enum.with_index(events), to == test or is_reference(to), do: at
    {writes, answers}
  end

  defp owner_events(owner, events) do
    receive do
      {:trace, ^owner, :call, {:ets, function, _args}} when function in @ets_writes ->
        owner_events(owner, [{:write, function} | events])

      {:trace, ^owner, :send, _message, to} ->
        owner_events(owner, [{:sent, to} | events])

      {:trace, ^owner, _kind, _call} ->
        owner_events(owner, events)
    after
      0 -> Enum.reverse(events)
    end
  end

  # The ETS tables that enabled?/2 reads (call-traced in a reader process) and the store
  # process owns. Other tables the store may own, or tables the read touches on the way
  # (a registry's), are not the flag table.
  defp flag_tables(owner) do
    read = tables_read_by_enabled?(:new_checkout)

    assert read != [],
           "enabled?(store, :new_checkout) read no ETS table: keep the flags in a table the " <>
             "store creates in init/1, and read it in the caller's process"

    owned = Enum.filter(read, &(:ets.info(&1, :owner) == owner))

    assert owned != [],
           "enabled?/2 reads #{inspect(read)}, but the store process owns none of them " <>
             "(owners: #{inspect(Enum.map(read, &:ets.info(&1, :owner)))}): create the table " <>
             "in the store's init/1, so it lives and dies with the store"

    owned
  end

  defp tables_read_by_enabled?(flag) do
    test = self()

    reader =
      spawn(fn ->
        receive do
          :go -> send(test, {:read, Store.enabled?(@store, flag)})
        end
      end)

    :erlang.trace(reader, true, [:call, {:tracer, test}])
    :erlang.trace_pattern({:ets, :_, :_}, true, [:global])

    try do
      send(reader, :go)
      assert_receive {:read, _answer}, 5_000, "enabled?(store, #{inspect(flag)}) did not answer"
      ref = :erlang.trace_delivered(reader)
      assert_receive {:trace_delivered, ^reader, ^ref}, 5_000
    after
      :erlang.trace_pattern({:ets, :_, :_}, false, [:global])
    end

    traced(reader, [])
  end

  defp traced(reader, tables) do
    receive do
      {:trace, ^reader, :call, {:ets, _function, [table | _args]}} ->
        traced(reader, [table | tables])
    after
      0 ->
        tables
        |> Enum.map(fn table -> if is_atom(table), do: :ets.whereis(table), else: table end)
        |> Enum.reject(&(&1 == :undefined or :ets.info(&1) == :undefined))
        |> Enum.uniq()
    end
  end
end
