defmodule Cluster.Ops do
  @moduledoc """
  The ops endpoint behind the admin dashboard: `GET /ops/nodes/:node/stats` calls
  `remote_stats(ops, params["node"])`, and the node list page shows `nodes(ops)`.

  Options of `start_link/1`:
    * `:nodes` - the nodes of this cluster, as atoms (`:"billing@10.0.4.12"`, ...)
    * `:remote` - the remote call, `fn node, timeout -> ... end` (default `&Cluster.Transport.stats/2`;
      see `Cluster.Transport` for what it answers and raises)
    * `:timeout` - how long one remote call may take, in ms (default 1_000)
    * `:name` - an optional registered name
  """
  use GenServer

  def start_link(opts) do
    {name, opts} = Keyword.pop(opts, :name)
    GenServer.start_link(__MODULE__, opts, if(name, do: [name: name], else: []))
  end

  @doc """
  Stats of the node called `name` (a string from the request): `{:ok, stats}`, or
  `{:error, :unknown_node}`, `{:error, :nodedown}`, `{:error, :timeout}`,
  `{:error, {:remote_failed, reason}}`.
  """
  def remote_stats(ops, name) when is_binary(name) do
    GenServer.call(ops, {:remote_stats, name}, 10_000)
  end

  @doc "Every cluster node and what we last saw of it: `:up`, `:down` or `:unknown`."
  def nodes(ops), do: GenServer.call(ops, :nodes)

  @impl true
  def init(opts) do
    nodes = Keyword.fetch!(opts, :nodes)
    if Node.alive?(), do: Enum.each(nodes, &Node.monitor(&1, true))

    {:ok,
     %{
       remote: Keyword.get(opts, :remote, &Cluster.Transport.stats/2),
       timeout: Keyword.get(opts, :timeout, 1_000),
       # The allow-list: request strings are compared with these names, never turned into atoms.
       by_name: Map.new(nodes, &{Atom.to_string(&1), &1}),
       status: Map.new(nodes, &{&1, :unknown})
     }}
  end

  @impl true
  def handle_call({:remote_stats, name}, _from, state) do
    case Map.fetch(state.by_name, name) do
      {:ok, node} ->
        reply = call(state.remote, node, state.timeout)
        {:reply, reply, mark(state, node, reply)}

      :error ->
        {:reply, {:error, :unknown_node}, state}
    end
  end

  def handle_call(:nodes, _from, state), do: {:reply, state.status, state}

  @impl true
  def handle_info({:nodeup, node}, state), do: {:noreply, put_status(state, node, :up)}
  def handle_info(_other, state), do: {:noreply, state}

  # Both shapes of a remote call: :rpc answers {:badrpc, reason}, :erpc raises.
  defp call(remote, node, timeout) do
    case remote.(node, timeout) do
      {:badrpc, :nodedown} -> {:error, :nodedown}
      {:badrpc, :timeout} -> {:error, :timeout}
      {:badrpc, {:EXIT, reason}} -> {:error, {:remote_failed, reason}}
      {:badrpc, reason} -> {:error, {:remote_failed, reason}}
      stats -> {:ok, stats}
    end
  catch
    :error, {:erpc, :noconnection} -> {:error, :nodedown}
    :error, {:erpc, :timeout} -> {:error, :timeout}
    :error, {:exception, reason, _stacktrace} -> {:error, {:remote_failed, reason}}
    :exit, {:exception, reason, _stacktrace} -> {:error, {:remote_failed, reason}}
    :exit, {:signal, reason} -> {:error, {:remote_failed, reason}}
    :throw, value -> {:error, {:remote_failed, {:nocatch, value}}}
  end

  defp mark(state, node, {:ok, _stats}), do: put_status(state, node, :up)
  defp mark(state, node, {:error, :nodedown}), do: put_status(state, node, :down)
  defp mark(state, _node, _other), do: state

  defp put_status(state, node, status) do
    if Map.has_key?(state.status, node), do: put_in(state.status[node], status), else: state
  end
end
