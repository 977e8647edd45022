defmodule Shop.ApplicationTest do
  use ExUnit.Case

  alias Shop.{Catalog, Importer}
  alias Shop.Notifications.Mailer
  alias Shop.Payments.{Gateway, Ledger}

  @workers [Catalog, Importer, Ledger, Gateway, Mailer]
  @feed [%{"sku" => "mug", "price" => 1_250}, %{"sku" => "tee", "price" => 2_400}]

  setup do
    # The supplier's feed is malformed for as many fetches as the counter says.
    broken = :counters.new(1, [])

    feed = fn ->
      if :counters.get(broken, 1) > 0 do
        :counters.sub(broken, 1, 1)
        [%{"sku" => "mug", "price" => "12,50"}]
      else
        @feed
      end
    end

    {:ok, top} = Shop.Application.start_link(feed: feed)
    Process.unlink(top)
    on_exit(fn -> stop(top) end)
    wait_until(fn -> Catalog.price("mug") == 1_250 end, "the importer never filled the catalogue")
    %{top: top, broken: broken}
  end

  # Stops the shop, if it is still running, and any worker left outside its tree.
  defp stop(top) do
    try do
      Supervisor.stop(top)
    catch
      :exit, _ -> :ok
    end

    for name <- @workers, pid = Process.whereis(name) do
      ref = Process.monitor(pid)
      Process.exit(pid, :kill)
      receive do: ({:DOWN, ^ref, _, _, _} -> :ok)
    end
  end

  # Every process of the tree under `sup`, as {pid, supervisor it runs under}. Each supervisor is
  # asked in turn, so a restart it was doing is finished when this returns.
  defp tree(sup) do
    for {_id, pid, type, _} <- Supervisor.which_children(sup), is_pid(pid) do
      [{pid, sup} | if(type == :supervisor, do: tree(pid), else: [])]
    end
    |> List.flatten()
  end

  defp pids, do: Map.new(@workers, &{&1, Process.whereis(&1)})

  defp wait_until(fun, message, tries \\ 500) do
    cond do
      fun.() ->
        :ok

      tries == 0 ->
        flunk(message)

      true ->
        Process.sleep(10)
        wait_until(fun, message, tries - 1)
    end
  end

  # The supervisor `name`'s process runs under, anywhere in the tree under `top`.
  defp supervisor_of(top, name) do
    pid = Process.whereis(name)

    case List.keyfind(tree(top), pid, 0) do
      {^pid, sup} ->
        sup

      nil ->
        flunk(
          "#{inspect(name)} (#{inspect(pid)}) is not in the shop's supervision tree: nothing restarts it when it crashes. " <>
            "Start every worker as a child of a supervisor under the top one"
        )
    end
  end

  # Kills `name`'s process, waits until its supervisor has started a new one and every supervisor
  # of the tree has finished restarting: the pids of every worker afterwards.
  defp kill(top, name) do
    old = Process.whereis(name)
    Process.exit(old, :kill)

    wait_until(
      fn -> Process.alive?(top) and Process.whereis(name) not in [nil, old] end,
      "#{inspect(name)} was killed and no new #{inspect(name)} started within 5 s"
    )

    tree(top)
    pids()
  end

  defp restarted(before, now, names),
    do: for(name <- names, before[name] != now[name], do: inspect(name))

  defp assert_untouched(before, now, names, what) do
    assert restarted(before, now, names) == [],
           "#{what} also restarted #{Enum.join(restarted(before, now, names), ", ")}, which share no " <>
             "state with it: their state (payments in flight, the catalogue) is thrown away for nothing. " <>
             "Give each subsystem a supervisor of its own, under a :one_for_one top supervisor"
  end

  @tag points: 1
  test "the shop starts and every subsystem answers" do
    assert {:ok, "pay_" <> _} = Gateway.charge("order-1", 1_250)
    assert [{_, "order-1", 1_250}] = Ledger.payments()
    assert {:ok, _} = Mailer.deliver("ada@example.com", "Your order")
    assert Catalog.price("tee") == 2_400
  end

  @tag points: 3
  test "killing the mailer leaves payments and the catalogue running", %{top: top} do
    before = pids()
    now = kill(top, Mailer)
    assert_untouched(before, now, [Ledger, Gateway, Catalog, Importer], "killing the mailer")
  end

  @tag points: 4
  test "a crash-looping importer uses up its own supervisor's restarts, not the shop's",
       %{top: top, broken: broken} do
    before = pids()
    parent = supervisor_of(top, Importer)
    top_ref = Process.monitor(top)
    parent_ref = Process.monitor(parent)
    # The next four fetches of the feed are malformed: the importer crashes four times in a row,
    # one more than its supervisor allows in 5 s (the default, 3 restarts in 5 seconds).
    :counters.put(broken, 1, 4)
    Importer.import_now()

    receive do
      {:DOWN, ^top_ref, _, _, _} ->
        flunk(
          "the importer crashed 4 times in a row and the shop's top supervisor gave up: the whole shop " <>
            "(payments and notifications too) went down with it. The crash loop must use up the restarts " <>
            "of the importer's own supervisor, which then gives up alone"
        )

      {:DOWN, ^parent_ref, _, _, _} ->
        :ok
    after
      5_000 ->
        flunk(
          "the importer crashed #{4 - :counters.get(broken, 1)} times in a row and its supervisor " <>
            if(parent == top, do: "(the shop's top supervisor) ", else: "") <>
            "did not give up. A crash loop must stop where it starts: give the importer a supervisor " <>
            "of its own with the default restart intensity (3 restarts in 5 s), which gives up and " <>
            "escalates, instead of a limit high enough to let it loop"
        )
    end

    tree(top)

    assert Process.alive?(top),
           "the shop's top supervisor gave up after the importer's supervisor did"

    assert_untouched(before, pids(), [Ledger, Gateway, Mailer], "the importer's crash loop")
    assert {:ok, _} = Gateway.charge("order-2", 990), "payments must keep answering"

    assert {:ok, _} = Mailer.deliver("ada@example.com", "Your order"),
           "the mailer must keep answering"
  end

  @tag points: 2
  test "after the ledger restarts, the gateway records charges in the new ledger", %{top: top} do
    {:ok, _} = Gateway.charge("order-1", 1_250)
    kill(top, Ledger)

    result =
      try do
        Gateway.charge("order-2", 990)
      catch
        :exit, reason -> {:exit, reason}
      end

    assert {:ok, _} = result,
           "the first charge after the ledger restarted got #{inspect(result, limit: 6)}: the gateway kept the " <>
             "old ledger's table, which died with the old ledger. The gateway holds state derived from the " <>
             "ledger, so it must restart with it (:rest_for_one with the ledger first, or :one_for_all for the pair)"

    assert [{_, "order-2", 990}] = Ledger.payments()
  end

  @tag points: 2
  test "after the catalogue restarts, the importer fills it again", %{top: top} do
    kill(top, Catalog)

    wait_until(
      fn -> Catalog.price("mug") == 1_250 end,
      "the catalogue came back empty and stayed empty for 5 s: the importer that fills it did not restart " <>
        "with it. A process that fills a table must restart when the table's owner does"
    )
  end
end
