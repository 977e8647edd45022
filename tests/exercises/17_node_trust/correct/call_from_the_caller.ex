defmodule Cluster.Ops do
  @moduledoc """
  Ops endpoint: the server only holds the allow-list and the status; the remote call runs in the
  caller's process, so one slow node never blocks the dashboard's other requests.
  """
  use GenServer

  def start_link(opts) do
    {name, opts} = Keyword.pop(opts, :name)
    GenServer.start_link(__MODULE__, opts, if(name, do: [name: name], else: []))
  end

  def remote_stats(ops, name) when is_binary(name) do
    case GenServer.call(ops, {:lookup, name}) do
      {:ok, node, remote, timeout} ->
        reply = remote_call(remote, node, timeout)
        GenServer.cast(ops, {:seen, node, reply})
        reply

      :error ->
        {:error, :unknown_node}
    end
  end

  def nodes(ops), do: GenServer.call(ops, :nodes)

  @impl true
  def init(opts) do
    nodes = Keyword.fetch!(opts, :nodes)
    if Node.alive?(), do: Enum.each(nodes, &Node.monitor(&1, true))

    {:ok,
     %{
       remote: Keyword.get(opts, :remote, &Cluster.Transport.stats/2),
       timeout: Keyword.get(opts, :timeout, 1_000),
       status: Map.new(nodes, &{&1, :unknown})
     }}
  end

  @impl true
  def handle_call({:lookup, name}, _from, state) do
    # String.to_existing_atom/1 never creates an atom; membership makes it an allow-list.
    node =
      try do
        String.to_existing_atom(name)
      rescue
        ArgumentError -> nil
      end

    if node != nil and Map.has_key?(state.status, node) do
      {:reply, {:ok, node, state.remote, state.timeout}, state}
    else
      {:reply, :error, state}
    end
  end

  def handle_call(:nodes, _from, state), do: {:reply, state.status, state}

  @impl true
  def handle_cast({:seen, node, {:ok, _}}, state), do: {:noreply, set(state, node, :up)}

  def handle_cast({:seen, node, {:error, :nodedown}}, state),
    do: {:noreply, set(state, node, :down)}

  def handle_cast({:seen, _node, _other}, state), do: {:noreply, state}

  @impl true
  def handle_info({:nodedown, node}, state), do: {:noreply, set(state, node, :down)}
  def handle_info({:nodeup, node}, state), do: {:noreply, set(state, node, :up)}
  def handle_info(_other, state), do: {:noreply, state}

  defp set(state, node, status) do
    if Map.has_key?(state.status, node),
      do: %{state | status: %{state.status | node => status}},
      else: state
  end

  defp remote_call(remote, node, timeout) do
    case remote.(node, timeout) do
      {:badrpc, :nodedown} -> {:error, :nodedown}
      {:badrpc, :timeout} -> {:error, :timeout}
      {:badrpc, {:EXIT, reason}} -> {:error, {:remote_failed, reason}}
      {:badrpc, reason} -> {:error, {:remote_failed, reason}}
      stats -> {:ok, stats}
    end
  rescue
    error in ErlangError ->
      case error.original do
        {:erpc, :noconnection} -> {:error, :nodedown}
        {:erpc, :timeout} -> {:error, :timeout}
        {:exception, reason, _stack} -> {:error, {:remote_failed, reason}}
        other -> {:error, {:remote_failed, other}}
      end
  end
end
