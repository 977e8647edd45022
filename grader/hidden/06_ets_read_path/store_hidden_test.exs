defmodule Flags.StoreHiddenTest do
  use ExUnit.Case

  alias Flags.Store

  @store Flags.StoreHiddenTest.Store
  @other Flags.StoreHiddenTest.OtherStore
  @initial %{new_checkout: true, dark_mode: false, beta_search: true}

  setup do
    owner = start_supervised!({Store, name: @store, flags: @initial})
    on_exit(fn -> if Process.alive?(owner), do: :sys.resume(owner) end)
    %{owner: owner}
  end

  @tag points: 1
  test "50 concurrent readers all get their answer while the owner is suspended", %{owner: owner} do
    :sys.suspend(owner)
    flags = [:new_checkout, :dark_mode, :beta_search, :unknown_flag]

    readers =
      for n <- 1..50 do
        flag = Enum.at(flags, rem(n, 4))
        {flag, Task.async(fn -> Store.enabled?(@store, flag) end)}
      end

    results =
      for {task, result} <- Task.yield_many(Enum.map(readers, &elem(&1, 1)), 5_000) do
        result || Task.shutdown(task, :brutal_kill)
      end

    :sys.resume(owner)

    for {{flag, _task}, result} <- Enum.zip(readers, results) do
      assert result == {:ok, Map.get(@initial, flag, false)},
             "a reader of #{inspect(flag)} got #{inspect(result)} while the store was busy " <>
               "(nil: it was still waiting after 5 s)"
    end
  end

  @tag points: 1
  test "reads send nothing to the owner: its mailbox stays empty while 100 reads run", %{
    owner: owner
  } do
    :sys.suspend(owner)

    reader = Task.async(fn -> for _ <- 1..100, do: Store.enabled?(@store, :new_checkout) end)

    result = Task.yield(reader, 5_000) || Task.shutdown(reader, :brutal_kill)
    {:message_queue_len, waiting} = Process.info(owner, :message_queue_len)
    :sys.resume(owner)

    assert match?({:ok, _}, result), "100 reads did not finish while the store was busy"

    assert waiting == 0,
           "100 reads left #{waiting} messages in the store's mailbox: a read that casts or " <>
             "sends anything to the store makes it the bottleneck again"
  end

  @tag points: 3
  test "two stores started under different names keep separate flags (:flags stays optional)" do
    # The second store is started with a :name only: its initial :flags default to none.
    case start_supervised(Supervisor.child_spec({Store, name: @other}, id: :other)) do
      {:ok, _other} ->
        :ok

      {:error, reason} ->
        flunk(
          "a second store, named #{inspect(@other)} and started without :flags, could not " <>
            "start next to the first: #{inspect(reason, limit: 8)}. A table name fixed in the " <>
            "code is taken by the first store; derive the table from the store's :name (or " <>
            "keep its id under that name). And keep start_link/1 as it was: :flags is " <>
            "optional (no flags yet)"
        )
    end

    assert Store.enabled?(@store, :new_checkout) == true
    assert Store.enabled?(@other, :new_checkout) == false

    :ok = Store.put(@other, :dark_mode, true)
    assert Store.enabled?(@other, :dark_mode) == true
    assert Store.enabled?(@store, :dark_mode) == false
  end

  @tag points: 2
  test "after the store crashes and restarts, readers see its initial flags again, the same reader too", %{
    owner: owner
  } do
    :ok = Store.put(@store, :dark_mode, true)
    # This test's process is a long-lived reader: it reads before the crash and after the restart.
    assert Store.enabled?(@store, :dark_mode) == true
    ref = Process.monitor(owner)
    Process.exit(owner, :kill)
    assert_receive {:DOWN, ^ref, :process, ^owner, :killed}, 5_000

    restarted = wait_for_restart(owner, 5_000)
    # Answered only once init/1 has finished: the new table is ready after this.
    :sys.get_state(restarted)

    after_restart =
      try do
        {Store.enabled?(@store, :new_checkout), Store.enabled?(@store, :dark_mode)}
      rescue
        error -> {:raised, error.__struct__}
      end

    assert after_restart == {true, false},
           "after the restart, a reader that had read before the crash got " <>
             "#{inspect(after_restart, limit: 5)} for :new_checkout and :dark_mode (expected " <>
             "true and false, the initial flags): the old table died with the old store. " <>
             "Find the table each time (by name, or the id the store publishes), never keep " <>
             "a table id in the reader"

    :ok = Store.put(@store, :dark_mode, true)
    assert Store.enabled?(@store, :dark_mode) == true
  end

  @tag points: 1
  test "a flag turned off is off for every process, at once", %{owner: owner} do
    :ok = Store.put(@store, :beta_search, false)
    # The readers start once the owner has handled everything sent before: a put/3 that casts
    # is caught by its own test, not by the luck of how soon these readers run.
    :sys.get_state(owner)

    answers =
      1..10
      |> Enum.map(fn _ -> Task.async(fn -> Store.enabled?(@store, :beta_search) end) end)
      |> Task.await_many(5_000)

    assert answers == List.duplicate(false, 10)
  end

  defp wait_for_restart(old, timeout) do
    deadline = System.monotonic_time(:millisecond) + timeout
    wait_for_restart(old, deadline, :loop)
  end

  defp wait_for_restart(old, deadline, :loop) do
    case Process.whereis(@store) do
      pid when is_pid(pid) and pid != old ->
        pid

      _none ->
        if System.monotonic_time(:millisecond) > deadline,
          do: flunk("the store was not restarted by its supervisor")

        Process.sleep(10)
        wait_for_restart(old, deadline, :loop)
    end
  end
end
