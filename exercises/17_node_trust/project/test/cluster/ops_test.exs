defmodule Cluster.OpsTest do
  use ExUnit.Case

  alias Cluster.Ops

  @billing :"billing@10.0.4.12"
  @search :"search@10.0.4.13"
  @stats %{node: @billing, processes: 412, run_queue: 0}

  # A stand-in for the remote call: it tells the test which node it was asked for and with which
  # timeout, then answers what the test chose (or raises, like :erpc).
  defp remote(answer) do
    test = self()

    fn node, timeout ->
      send(test, {:rpc_called, node, timeout})
      answer.(node)
    end
  end

  defp start_ops(answer, opts \\ []) do
    start_supervised!({Ops, [nodes: [@billing, @search], remote: remote(answer)] ++ opts})
  end

  # remote_stats/2, with a crash of the ops server turned into a failure that says what happened.
  defp ask(ops, name) do
    Ops.remote_stats(ops, name)
  catch
    :exit, reason ->
      flunk(
        "remote_stats(ops, #{inspect(name)}) crashed the ops server: #{inspect(reason, limit: 6)}. " <>
          "A node that is down or slow is an everyday answer in a cluster, not a bug: catch what " <>
          ":erpc raises and answer {:error, ...}, so the dashboard (and every other caller) keeps working."
      )
  end

  @tag points: 1
  test "a known node's stats are answered {:ok, stats}" do
    ops = start_ops(fn _node -> @stats end)
    result = ask(ops, "billing@10.0.4.12")

    assert result == {:ok, @stats},
           "billing@10.0.4.12 is one of our nodes and answered #{inspect(@stats)}, " <>
             "but remote_stats/2 returned #{inspect(result)}"

    assert_received {:rpc_called, @billing, _timeout}
  end

  @tag points: 1
  test "nodes/1 lists every cluster node" do
    ops = start_ops(fn _node -> @stats end)
    nodes = Ops.nodes(ops)

    assert Map.keys(nodes) |> Enum.sort() == Enum.sort([@billing, @search]),
           "nodes/1 must list the configured nodes, it returned #{inspect(nodes)}"
  end

  @tag points: 2
  test "a node name nobody configured is answered {:error, :unknown_node}, and nothing is called" do
    ops = start_ops(fn _node -> {:badrpc, :nodedown} end)

    for name <- ["evil@203.0.113.9", "billing@10.0.4.99", "billing", ""] do
      result = ask(ops, name)

      assert result == {:error, :unknown_node},
             "#{inspect(name)} is not one of our nodes (#{inspect([@billing, @search])}): " <>
               "remote_stats/2 must answer {:error, :unknown_node}, it returned #{inspect(result)}"
    end

    refute_received {:rpc_called, node, _},
                    "remote_stats/2 made a remote call to #{inspect(node)}, a node name taken from the " <>
                      "request that is not in the cluster's list. Check the name against the allow-list " <>
                      "before connecting or calling anything."
  end

  @tag points: 3
  test "1,000 made-up node names create no atoms (atoms are never garbage collected)" do
    ops = start_ops(fn _node -> {:badrpc, :nodedown} end)

    # Three rounds of 1,000 fresh names; the smallest count is kept, so an atom some other
    # part of the VM happens to create meanwhile cannot fail a correct fix.
    created =
      for _round <- 1..3 do
        names = random_names(1_000)
        ask(ops, hd(random_names(1)))

        atoms_created(fn -> Enum.each(names, &ask(ops, &1)) end)
      end
      |> Enum.min()

    assert created == 0,
           "remote_stats/2 created #{created} new atoms for 1,000 node names nobody configured. " <>
             "The atom table is never garbage collected and has a fixed size: anyone who can reach " <>
             "the ops endpoint can fill it and take the node down. Compare the string with the " <>
             "configured names (Atom.to_string/1 of each) instead of String.to_atom/1."
  end

  @tag points: 2
  test "a known node that is down is answered {:error, :nodedown}, not {:ok, {:badrpc, :nodedown}}" do
    ops = start_ops(fn _node -> {:badrpc, :nodedown} end)
    result = ask(ops, "search@10.0.4.13")

    assert result == {:error, :nodedown},
           ":rpc.call/5 never raises: it answers {:badrpc, :nodedown} when the node is down. " <>
             "remote_stats/2 must answer {:error, :nodedown}, it returned #{inspect(result)}"
  end

  @tag points: 2
  test "an :erpc call to a node that is down (:noconnection) is answered {:error, :nodedown} and the server keeps running" do
    ops = start_ops(fn _node -> :erlang.error({:erpc, :noconnection}) end)
    result = ask(ops, "search@10.0.4.13")

    assert result == {:error, :nodedown},
           ":erpc.call/5 raises {:erpc, :noconnection} when the node is down or refuses us: " <>
             "remote_stats/2 must answer {:error, :nodedown}, it returned #{inspect(result)}"

    assert Map.has_key?(Ops.nodes(ops), @search),
           "the ops server stopped answering after a node was down"
  end

  @tag points: 2
  test "a remote call has a deadline: the call gets a timeout in ms, not :infinity" do
    ops = start_ops(fn _node -> @stats end, timeout: 300)
    ask(ops, "billing@10.0.4.12")
    assert_received {:rpc_called, @billing, timeout}

    assert is_integer(timeout) and timeout > 0 and timeout <= 300,
           "the remote call was made with timeout #{inspect(timeout)}: a node that hangs (a netsplit, " <>
             "a node stuck in GC) then blocks the ops server, and every dashboard request behind it, " <>
             "for ever. Pass the configured :timeout (300 ms here)."
  end

  @tag points: 2
  test "a {:nodedown, node} message marks that node :down" do
    ops = start_ops(fn _node -> @stats end)
    {:ok, _} = ask(ops, "billing@10.0.4.12")
    assert Ops.nodes(ops)[@billing] == :up, "billing answered a call: nodes/1 must show it :up"

    send(ops, {:nodedown, @billing})
    nodes = Ops.nodes(ops)

    assert nodes[@billing] == :down,
           "the ops server got {:nodedown, #{inspect(@billing)}} (what Node.monitor/2 sends when the " <>
             "connection is lost), but nodes/1 still shows #{inspect(nodes)}. Handle it in handle_info/2."

    assert Process.alive?(ops)
  end

  defp random_names(n) do
    for _ <- 1..n,
        do: "n" <> Base.encode32(:rand.bytes(10), case: :lower, padding: false) <> "@10.6.6.6"
  end

  defp atoms_created(fun) do
    before = :erlang.system_info(:atom_count)
    fun.()
    :erlang.system_info(:atom_count) - before
  end
end
