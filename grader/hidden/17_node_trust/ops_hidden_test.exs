defmodule Cluster.OpsHiddenTest do
  use ExUnit.Case

  alias Cluster.Ops

  @billing :"billing@10.0.4.12"
  @search :"search@10.0.4.13"
  @stats %{node: @billing, processes: 412, run_queue: 0}

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

  defp ask(ops, name) do
    Ops.remote_stats(ops, name)
  catch
    :exit, reason ->
      flunk(
        "remote_stats(ops, #{inspect(name)}) crashed the ops server: #{inspect(reason, limit: 6)}. " <>
          "Catch what :erpc raises and answer {:error, ...}."
      )
  end

  @tag points: 2
  test "a name that is an existing atom but not a cluster node is still refused" do
    ops = start_ops(fn _node -> @stats end)

    for name <- ["nonode@nohost", "erlang", "Elixir.File", Atom.to_string(node())] do
      result = ask(ops, name)

      assert result == {:error, :unknown_node},
             "#{inspect(name)} is an atom that already exists, but not one of our nodes: remote_stats/2 " <>
               "must answer {:error, :unknown_node}, it returned #{inspect(result)}. " <>
               "String.to_existing_atom/1 keeps the atom table safe, not the cluster: check the allow-list."
    end

    refute_received {:rpc_called, node, _},
                    "a remote call was made to #{inspect(node)}, which is not in the cluster"
  end

  @tag points: 2
  test "a remote call that times out is answered {:error, :timeout}, with :erpc and with :rpc" do
    for {shape, answer} <- [
          {":erpc raises {:erpc, :timeout}", fn _ -> :erlang.error({:erpc, :timeout}) end},
          {":rpc answers {:badrpc, :timeout}", fn _ -> {:badrpc, :timeout} end}
        ] do
      ops = start_ops(answer)
      result = ask(ops, "billing@10.0.4.12")

      assert result == {:error, :timeout},
             "the node did not answer in time (#{shape}): remote_stats/2 must answer " <>
               "{:error, :timeout}, it returned #{inspect(result)}"

      stop_supervised!(Ops)
    end
  end

  @tag points: 1
  test "a remote function that failed is reported as {:error, {:remote_failed, reason}}" do
    for {shape, answer} <- [
          {":erpc raises {:exception, reason, stack}",
           fn _ -> :erlang.error({:exception, %ArgumentError{message: "boom"}, []}) end},
          {":rpc answers {:badrpc, {:EXIT, reason}}",
           fn _ -> {:badrpc, {:EXIT, {:badarg, []}}} end}
        ] do
      ops = start_ops(answer)
      result = ask(ops, "billing@10.0.4.12")

      assert match?({:error, {:remote_failed, _}}, result),
             "the node was up but the remote function failed (#{shape}): remote_stats/2 must say so " <>
               "with {:error, {:remote_failed, reason}}, not #{inspect(result)}: the node is not down, " <>
               "and it is not a success"

      stop_supervised!(Ops)
    end
  end

  @tag points: 1
  test "a call that found the node down marks it :down, and {:nodeup, node} marks it :up again" do
    ops = start_ops(fn _node -> {:badrpc, :nodedown} end)
    ask(ops, "search@10.0.4.13")
    nodes = Ops.nodes(ops)

    assert nodes[@search] == :down,
           "remote_stats/2 found search@10.0.4.13 down, but nodes/1 shows #{inspect(nodes)}"

    send(ops, {:nodeup, @search})
    nodes = Ops.nodes(ops)

    assert nodes[@search] == :up,
           "after {:nodeup, #{inspect(@search)}} nodes/1 still shows #{inspect(nodes)}"
  end
end

defmodule Cluster.OpsDistributedTest do
  # Real nodes: :peer nodes on 127.0.0.1 (the grading sandbox has its own loopback and no other
  # network). When distribution cannot start here, each test fails and says why: a skipped test
  # would earn no points either, but the report would not say what to do.
  use ExUnit.Case

  alias Cluster.Ops

  @moduletag :distributed

  setup_all do
    case start_distribution() do
      :ok -> {:ok, distribution: :ok}
      {:error, why} -> {:ok, distribution: {:error, why}}
    end
  end

  setup %{distribution: distribution} do
    case distribution do
      :ok ->
        :ok

      {:error, why} ->
        flunk(
          "distribution could not start in this sandbox, so this test on real nodes cannot run: " <>
            "#{why}. This is not your code: the test counts as failed, never as passed, until " <>
            "the grading machine can start epmd and a node on 127.0.0.1"
        )
    end
  end

  defp erpc(node, timeout), do: :erpc.call(node, :erlang, :node, [], timeout)

  @tag points: 2
  test "[distributed] a real node that stops is reported :down and answered {:error, :nodedown}" do
    {peer, name} = start_peer("ops17a", [])
    ops = start_supervised!({Ops, nodes: [name], remote: &erpc/2, timeout: 2_000})

    assert Ops.remote_stats(ops, Atom.to_string(name)) == {:ok, name}

    Node.monitor(name, true)
    :peer.stop(peer)
    assert_receive {:nodedown, ^name}, 10_000

    assert eventually(fn -> Ops.nodes(ops)[name] == :down end),
           "the peer node #{name} stopped and the ops server was told ({:nodedown, node}, it monitors " <>
             "the node), but nodes/1 still shows #{inspect(Ops.nodes(ops))}"

    result = Ops.remote_stats(ops, Atom.to_string(name))

    assert result == {:error, :nodedown},
           "the node is gone: expected {:error, :nodedown}, got #{inspect(result)}"
  end

  @tag points: 1
  test "[distributed] a node started with another cookie cannot connect, and is answered {:error, :nodedown}" do
    {peer, name} =
      start_peer("ops17b", [
        ~c"-setcookie",
        ~c"not_our_cookie",
        ~c"-kernel",
        ~c"logger_level",
        ~c"emergency"
      ])

    ops = start_supervised!({Ops, nodes: [name], remote: &erpc/2, timeout: 2_000})

    assert Node.ping(name) == :pang,
           "a node with another cookie must not be able to join the cluster"

    result = Ops.remote_stats(ops, Atom.to_string(name))

    assert result == {:error, :nodedown},
           "#{name} refuses our cookie, so :erpc raises {:erpc, :noconnection}: remote_stats/2 must " <>
             "answer {:error, :nodedown}, it returned #{inspect(result)}"

    :peer.stop(peer)
  end

  defp start_peer(name, args) do
    {:ok, peer, node} =
      :peer.start(%{
        name: String.to_atom(name),
        host: ~c"127.0.0.1",
        longnames: true,
        connection: :standard_io,
        args: [~c"-kernel", ~c"inet_dist_use_interface", ~c"{127,0,0,1}" | args]
      })

    {peer, node}
  end

  defp eventually(check, tries \\ 250) do
    cond do
      check.() -> true
      tries == 0 -> false
      true -> Process.sleep(20) && eventually(check, tries - 1)
    end
  end

  # epmd on 127.0.0.1 (started here only if none answers, and stopped at the end), then this VM
  # as grader17@127.0.0.1, listening on loopback only.
  defp start_distribution do
    if Node.alive?() do
      :ok
    else
      with {:ok, epmd} <- find_epmd(),
           :ok <- ensure_epmd(epmd) do
        :application.set_env(:kernel, :inet_dist_use_interface, {127, 0, 0, 1})

        case Node.start(:"grader17@127.0.0.1", :longnames) do
          {:ok, _} ->
            :ok

          {:error, reason} ->
            {:error, "Node.start/2 as grader17@127.0.0.1 failed: #{inspect(reason)}"}
        end
      end
    end
  rescue
    error -> {:error, Exception.message(error)}
  end

  defp find_epmd do
    erts = Path.join(:code.root_dir(), "erts-#{:erlang.system_info(:version)}/bin/epmd")

    cond do
      path = System.find_executable("epmd") -> {:ok, path}
      File.exists?(erts) -> {:ok, erts}
      true -> {:error, "no epmd executable found (PATH, #{erts})"}
    end
  end

  defp ensure_epmd(epmd) do
    case System.cmd(epmd, ["-names"], stderr_to_stdout: true) do
      {_, 0} ->
        :ok

      _ ->
        case System.cmd(epmd, ["-daemon", "-address", "127.0.0.1"], stderr_to_stdout: true) do
          {_, 0} ->
            ExUnit.Callbacks.on_exit(fn ->
              Node.stop()
              System.cmd(epmd, ["-kill"], stderr_to_stdout: true)
            end)

            wait_for_epmd(epmd, 100)

          {out, code} ->
            {:error, "epmd -daemon exited #{code}: #{String.trim(out)}"}
        end
    end
  end

  defp wait_for_epmd(epmd, tries) do
    case System.cmd(epmd, ["-names"], stderr_to_stdout: true) do
      {_, 0} ->
        :ok

      {out, _} when tries == 0 ->
        {:error, "epmd did not answer on 127.0.0.1: #{String.trim(out)}"}

      _ ->
        Process.sleep(50) && wait_for_epmd(epmd, tries - 1)
    end
  end
end
