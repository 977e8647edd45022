defmodule Feeds do
  @moduledoc """
  Polls subscribed feeds. Feeds keeps the configuration and each feed's supervisor; every feed
  gets a Supervisor (3 restarts in 5 s) with its polling task as the only child.
  """
  use Agent
  require Logger

  def start_link(opts) do
    config = %{
      fetch: Keyword.fetch!(opts, :fetch),
      store: Keyword.get(opts, :store, fn _, _ -> :ok end),
      interval: Keyword.get(opts, :interval, 60_000)
    }

    Agent.start_link(fn -> %{config: config, feeds: %{}} end, name: __MODULE__)
  end

  def start_poller(feed_url) do
    config = Agent.get(__MODULE__, & &1.config)

    poller =
      Supervisor.child_spec({Task, fn -> loop(feed_url, config) end},
        id: feed_url,
        restart: :permanent
      )

    {:ok, sup} =
      Supervisor.start_link([poller], strategy: :one_for_one, max_restarts: 3, max_seconds: 5)

    Agent.update(__MODULE__, &put_in(&1.feeds[feed_url], sup))
    [{^feed_url, pid, _, _}] = Supervisor.which_children(sup)
    {:ok, pid}
  end

  def stop_poller(feed_url) do
    sup = Agent.get_and_update(__MODULE__, &pop_in(&1.feeds[feed_url]))
    if sup, do: Supervisor.stop(sup)
    :ok
  end

  def pollers do
    for {feed_url, sup} <- Agent.get(__MODULE__, & &1.feeds),
        {_, pid, _, _} <- children(sup),
        is_pid(pid),
        into: %{},
        do: {feed_url, pid}
  end

  defp children(sup) do
    Supervisor.which_children(sup)
  catch
    :exit, _ -> []
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
