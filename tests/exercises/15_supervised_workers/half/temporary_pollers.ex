defmodule Feeds do
  @moduledoc """
  Polls subscribed feeds: every poller is a Task under a DynamicSupervisor of Feeds,
  named in a Registry.
  """
  use Supervisor
  require Logger

  def start_link(opts), do: Supervisor.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts) do
    config = %{
      fetch: Keyword.fetch!(opts, :fetch),
      store: Keyword.get(opts, :store, fn _, _ -> :ok end),
      interval: Keyword.get(opts, :interval, 60_000)
    }

    children = [
      {Registry, keys: :unique, name: Feeds.Registry, meta: [config: config]},
      {DynamicSupervisor, name: Feeds.Pollers, strategy: :one_for_one}
    ]

    Supervisor.init(children, strategy: :rest_for_one)
  end

  def start_poller(feed_url) do
    {:ok, config} = Registry.meta(Feeds.Registry, :config)
    DynamicSupervisor.start_child(Feeds.Pollers, {Task, fn -> run(feed_url, config) end})
  end

  def stop_poller(feed_url) do
    case Registry.lookup(Feeds.Registry, feed_url) do
      [{pid, _}] -> DynamicSupervisor.terminate_child(Feeds.Pollers, pid)
      [] -> :ok
    end

    :ok
  end

  def pollers do
    Feeds.Registry
    |> Registry.select([{{:"$1", :"$2", :_}, [], [{{:"$1", :"$2"}}]}])
    |> Map.new()
  end

  defp run(feed_url, config) do
    {:ok, _} = Registry.register(Feeds.Registry, feed_url, nil)
    loop(feed_url, config)
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
