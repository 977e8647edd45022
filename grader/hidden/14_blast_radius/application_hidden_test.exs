defmodule Shop.ApplicationHiddenTest do
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

  @tag points: 2
  test "killing the importer leaves payments and notifications running", %{top: top} do
    before = pids()
    now = kill(top, Importer)
    assert_untouched(before, now, [Ledger, Gateway, Mailer], "killing the importer")
  end

  @tag points: 2
  test "killing the ledger leaves notifications and the catalogue running", %{top: top} do
    before = pids()
    now = kill(top, Ledger)
    assert_untouched(before, now, [Mailer, Catalog, Importer], "killing the ledger")
  end

  @tag points: 1
  test "killing the catalogue leaves payments and notifications running", %{top: top} do
    before = pids()
    now = kill(top, Catalog)
    assert_untouched(before, now, [Ledger, Gateway, Mailer], "killing the catalogue")
  end

  @tag points: 1
  test "killing the gateway leaves notifications and the catalogue running", %{top: top} do
    before = pids()
    now = kill(top, Gateway)
    assert_untouched(before, now, [Mailer, Catalog, Importer], "killing the gateway")
  end

  @tag points: 1
  test "every worker runs in the shop's supervision tree, and a killed importer comes back",
       %{top: top} do
    Enum.each(@workers, &supervisor_of(top, &1))
    kill(top, Importer)
    supervisor_of(top, Importer)
    assert Importer.imported() == 2
  end
end
