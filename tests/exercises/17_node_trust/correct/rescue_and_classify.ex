defmodule Cluster.Ops do
  @moduledoc "Ops endpoint: allow-list as a plain list, :erpc errors rescued and classified in one function."
  use GenServer

  def start_link(opts) do
    {name, opts} = Keyword.pop(opts, :name)
    GenServer.start_link(__MODULE__, opts, if(name, do: [name: name], else: []))
  end

  def remote_stats(ops, name) when is_binary(name),
    do: GenServer.call(ops, {:remote_stats, name}, 10_000)

  def nodes(ops), do: GenServer.call(ops, :nodes)

  @impl true
  def init(opts) do
    nodes = Keyword.fetch!(opts, :nodes)
    if Node.alive?(), do: Enum.each(nodes, &Node.monitor(&1, true))

    {:ok,
     %{
       nodes: nodes,
       remote: Keyword.get(opts, :remote, &Cluster.Transport.stats/2),
       timeout: Keyword.get(opts, :timeout, 1_000),
       status: Map.new(nodes, &{&1, :unknown})
     }}
  end

  @impl true
  def handle_call({:remote_stats, name}, _from, state) do
    with node when node != nil <- Enum.find(state.nodes, &(Atom.to_string(&1) == name)) do
      reply =
        try do
          classify(state.remote.(node, state.timeout))
        rescue
          error in ErlangError -> classify({:badrpc, error.original})
        end

      status =
        case reply do
          {:ok, _} -> Map.put(state.status, node, :up)
          {:error, :nodedown} -> Map.put(state.status, node, :down)
          _ -> state.status
        end

      {:reply, reply, %{state | status: status}}
    else
      nil -> {:reply, {:error, :unknown_node}, state}
    end
  end

  def handle_call(:nodes, _from, state), do: {:reply, state.status, state}

  @impl true
  def handle_info({event, node}, state) when event in [:nodeup, :nodedown] do
    if Map.has_key?(state.status, node) do
      {:noreply,
       %{state | status: Map.put(state.status, node, if(event == :nodeup, do: :up, else: :down))}}
    else
      {:noreply, state}
    end
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp classify({:badrpc, reason}) when reason in [:nodedown, {:erpc, :noconnection}],
    do: {:error, :nodedown}

  defp classify({:badrpc, reason}) when reason in [:timeout, {:erpc, :timeout}],
    do: {:error, :timeout}

  defp classify({:badrpc, {:EXIT, reason}}), do: {:error, {:remote_failed, reason}}
  defp classify({:badrpc, {:exception, reason, _stack}}), do: {:error, {:remote_failed, reason}}
  defp classify({:badrpc, reason}), do: {:error, {:remote_failed, reason}}
  defp classify(stats), do: {:ok, stats}
end
