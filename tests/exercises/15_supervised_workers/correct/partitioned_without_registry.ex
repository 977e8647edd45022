defmodule Feeds do
  @moduledoc """
  Polls subscribed feeds. Feeds are spread over a PartitionSupervisor of DynamicSupervisors; each
  feed is a `:temporary` Supervisor (3 restarts in 5 s) whose one child, with the feed URL as its id,
  is the polling task. No Registry: the supervisors are asked who polls what.
  """
  use Supervisor
  require Logger

  @partitions Feeds.Partitions

  def start_link(opts) do
    config = %{
      fetch: Keyword.fetch!(opts, :fetch),
      store: Keyword.get(opts, :store, fn _, _ -> :ok end),
      interval: Keyword.get(opts, :interval, 60_000)
    }

    Supervisor.start_link(__MODULE__, config, name: __MODULE__)
  end

  @impl true
  def init(config) do
    :persistent_term.put({__MODULE__, :config}, config)

    Supervisor.init([{PartitionSupervisor, child_spec: DynamicSupervisor, name: @partitions}],
      strategy: :one_for_one
    )
  end

  def start_poller(feed_url) do
    config = :persistent_term.get({__MODULE__, :config})

    poller =
      Supervisor.child_spec({Task, fn -> loop(feed_url, config) end},
        id: feed_url,
        restart: :permanent
      )

    feed = %{
      id: feed_url,
      start:
        {Supervisor, :start_link,
         [[poller], [strategy: :one_for_one, max_restarts: 3, max_seconds: 5]]},
      restart: :temporary,
      type: :supervisor
    }

    with {:ok, sup} <-
           DynamicSupervisor.start_child(
             {:via, PartitionSupervisor, {@partitions, feed_url}},
             feed
           ) do
      [{^feed_url, pid, _, _}] = Supervisor.which_children(sup)
      {:ok, pid}
    end
  end

  def stop_poller(feed_url) do
    partition = {:via, PartitionSupervisor, {@partitions, feed_url}}

    for {sup, url, _pid} <- feeds(partition),
        url == feed_url,
        do: DynamicSupervisor.terminate_child(partition, sup)

    :ok
  end

  def pollers do
    for {_, partition, _, _} <- PartitionSupervisor.which_children(@partitions),
        {_sup, url, pid} <- feeds(partition),
        into: %{},
        do: {url, pid}
  end

  # {feed supervisor, feed url, poller pid} of every live feed in one partition.
  defp feeds(partition) do
    for {_, sup, _, _} <- DynamicSupervisor.which_children(partition),
        is_pid(sup),
        {url, pid, _, _} <- children(sup),
        is_pid(pid),
        do: {sup, url, pid}
  end

  defp children(sup) do
    Supervisor.which_children(sup)
  catch
    :exit, _given_up -> []
  end

  defp loop(feed_url, config) do
    case config.fetch.(feed_url) do
      {:ok, entries} -> config.store.(feed_url, entries)
      {:error, reason} -> Logger.warning("feed #{feed_url} unavailable: #{inspect(reason)}")
    end

    Process.sleep(config.interval)
    loop(feed_url, config)
  end
end
