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
  test "a flag that was put is on, a flag turned off is off, unknown flags are off" do
    assert Store.enabled?(@store, :new_checkout) == true
    assert Store.put(@store, :beta_search, true) == :ok
    assert Store.enabled?(@store, :beta_search) == true
    assert Store.put(@store, :new_checkout, false) == :ok
    assert Store.enabled?(@store, :new_checkout) == false
    assert Store.enabled?(@store, :never_heard_of) == false
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

  @tag points: 2
  test "the flag table is :protected with read_concurrency: true", %{owner: owner} do
    tables = owned_tables(owner)

    assert tables != [],
           "the store process owns no ETS table: keep the flags in a table it creates in " <>
             "init/1, so readers can look them up without asking the process"

    for table <- tables do
      assert :ets.info(table, :protection) == :protected,
             "the table is #{inspect(:ets.info(table, :protection))}: make it :protected " <>
               "(every process reads, only the owner writes)"

      assert :ets.info(table, :read_concurrency) == true,
             "the table was created without read_concurrency: true, the option for tables " <>
               "that many processes read at once and few write"
    end
  end

  @tag points: 1
  test "another process cannot write to the flag table (ArgumentError)", %{owner: owner} do
    tables = owned_tables(owner)
    assert tables != [], "the store process owns no ETS table"

    for table <- tables do
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

  defp owned_tables(owner) do
    for table <- :ets.all(), :ets.info(table, :owner) == owner, do: table
  end
end
