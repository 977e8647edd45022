defmodule Cluster.Stats do
  @moduledoc "What an ops dashboard asks each node of the cluster: runs on the node asked."

  @doc "A small snapshot of the node this runs on."
  def snapshot do
    %{
      node: node(),
      processes: :erlang.system_info(:process_count),
      run_queue: :erlang.statistics(:run_queue)
    }
  end
end
