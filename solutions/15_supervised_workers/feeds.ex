defmodule Feeds do
  @moduledoc """
  Polls the RSS/Atom feeds our users subscribe to: one long-lived poller per feed URL, which
  fetches the feed every `:interval` milliseconds and hands the entries to `:store`.

  Options of `start_link/1`: `:fetch` (`fn feed_url -> {:ok, entries} | {:error, reason} end`, the
  HTTP fetch and parse), `:store` (`fn feed_url, entries -> any end`, optional) and `:interval`.

  The tree: `Feeds` (a supervisor) owns a Registry of the feeds and a DynamicSupervisor of feeds;
  each feed is a small supervisor of its own (`:temporary`) with its poller under it. A poller that
  crashes is restarted by its feed's supervisor; one that crashes more than 3 times in 5 seconds
  takes down only its own feed's supervisor, which is not restarted: the feed is given up, with
  the supervisor's error report in the log, and every other feed keeps polling.
  """
  use Supervisor
  require Logger

  @registry Feeds.Registry
  @feeds Feeds.FeedSupervisor

  def start_link(opts), do: Supervisor.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts) do
    config = %{
      fetch: Keyword.fetch!(opts, :fetch),
      store: Keyword.get(opts, :store, fn _feed_url, _entries -> :ok end),
      interval: Keyword.get(opts, :interval, 60_000)
    }

    children = [
      {Registry, keys: :unique, name: @registry, meta: [config: config]},
      {DynamicSupervisor, name: @feeds, strategy: :one_for_one}
    ]

    Supervisor.init(children, strategy: :rest_for_one)
  end

  @doc "Starts polling `feed_url`: `{:ok, pid}` of its poller."
  def start_poller(feed_url) do
    {:ok, config} = Registry.meta(@registry, :config)

    feed = %{
      id: feed_url,
      start:
        {Supervisor, :start_link,
         [
           [{Feeds.Poller, {feed_url, config}}],
           [strategy: :one_for_one, max_restarts: 3, max_seconds: 5, name: via({:feed, feed_url})]
         ]},
      restart: :temporary,
      type: :supervisor
    }

    case DynamicSupervisor.start_child(@feeds, feed) do
      {:ok, _feed} -> {:ok, poller(feed_url)}
      {:error, {:already_started, _feed}} -> {:ok, poller(feed_url)}
      {:error, reason} -> {:error, reason}
    end
  end

  @doc "Stops polling `feed_url` for good."
  def stop_poller(feed_url) do
    case Registry.lookup(@registry, {:feed, feed_url}) do
      [{feed, _}] -> DynamicSupervisor.terminate_child(@feeds, feed)
      [] -> :ok
    end

    :ok
  end

  @doc "The feeds being polled: `%{feed_url => poller_pid}`."
  def pollers do
    @registry
    |> Registry.select([{{{:poller, :"$1"}, :"$2", :_}, [], [{{:"$1", :"$2"}}]}])
    |> Map.new()
  end

  defp poller(feed_url) do
    case Registry.lookup(@registry, {:poller, feed_url}) do
      [{pid, _}] -> pid
      [] -> nil
    end
  end

  @doc false
  def via(key), do: {:via, Registry, {@registry, key}}
end

defmodule Feeds.Poller do
  @moduledoc "Polls one feed: fetches it every interval and stores the entries."
  use GenServer
  require Logger

  def start_link({feed_url, config}),
    do: GenServer.start_link(__MODULE__, {feed_url, config}, name: Feeds.via({:poller, feed_url}))

  @impl true
  def init({feed_url, config}) do
    send(self(), :poll)
    {:ok, %{feed_url: feed_url, config: config}}
  end

  @impl true
  def handle_info(:poll, %{feed_url: feed_url, config: config} = state) do
    case config.fetch.(feed_url) do
      {:ok, entries} -> config.store.(feed_url, entries)
      {:error, reason} -> Logger.warning("feed #{feed_url} unavailable: #{inspect(reason)}")
    end

    Process.send_after(self(), :poll, config.interval)
    {:noreply, state}
  end
end
