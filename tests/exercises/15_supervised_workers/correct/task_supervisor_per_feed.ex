defmodule Feeds do
  @moduledoc """
  Polls subscribed feeds. Each feed has a Task.Supervisor of its own (`:temporary`, at most 3
  restarts in 5 s) under one DynamicSupervisor; its poller is a `:transient` task that loops.
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

    Supervisor.init(
      [
        {Registry, keys: :unique, name: Feeds.Names, meta: [config: config]},
        {DynamicSupervisor, name: Feeds.PerFeed}
      ],
      strategy: :one_for_all
    )
  end

  def start_poller(feed_url) do
    {:ok, config} = Registry.meta(Feeds.Names, :config)

    spec =
      Supervisor.child_spec(
        {Task.Supervisor,
         name: {:via, Registry, {Feeds.Names, {:tasks, feed_url}}},
         max_restarts: 3,
         max_seconds: 5},
        id: feed_url,
        restart: :temporary
      )

    with {:ok, tasks} <- DynamicSupervisor.start_child(Feeds.PerFeed, spec) do
      Task.Supervisor.start_child(tasks, fn -> run(feed_url, config) end, restart: :transient)
    end
  end

  def stop_poller(feed_url) do
    for {tasks, _} <- Registry.lookup(Feeds.Names, {:tasks, feed_url}),
        do: DynamicSupervisor.terminate_child(Feeds.PerFeed, tasks)

    :ok
  end

  def pollers do
    Feeds.Names
    |> Registry.select([{{{:poller, :"$1"}, :"$2", :_}, [], [{{:"$1", :"$2"}}]}])
    |> Map.new()
  end

  defp run(feed_url, config) do
    {:ok, _} = Registry.register(Feeds.Names, {:poller, feed_url}, nil)
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
