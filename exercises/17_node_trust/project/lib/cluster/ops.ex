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

  @doc "Stats of the node called `name` (a string from the request)."
  def remote_stats(ops, name) when is_binary(name) do
    GenServer.call(ops, {:remote_stats, name}, 10_000)
  end

  @doc "Every cluster node and what we last saw of it: `:up`, `:down` or `:unknown`."
  def nodes(ops), do: GenServer.call(ops, :nodes)

  @impl true
  def init(opts) do
    nodes = Keyword.fetch!(opts, :nodes)

    # Watch the cluster: we get {:nodeup, node} / {:nodedown, node} for each node.
    if Node.alive?(), do: Enum.each(nodes, &Node.monitor(&1, true))

    {:ok,
     %{
       remote: Keyword.get(opts, :remote, &Cluster.Transport.stats/2),
       timeout: Keyword.get(opts, :timeout, 1_000),
       status: Map.new(nodes, &{&1, :unknown})
     }}
  end

  @impl true
  def handle_call({:remote_stats, name}, _from, state) do
    node = String.to_atom(name)
    Node.connect(node)
    stats = state.remote.(node, :infinity)
    {:reply, {:ok, stats}, put_in(state.status[node], :up)}
  end

  def handle_call(:nodes, _from, state), do: {:reply, state.status, state}
end
