defmodule Feeds do
  @moduledoc """
  Polls subscribed feeds: every poller is a permanent child of one DynamicSupervisor under Feeds,
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
    DynamicSupervisor.start_child(Feeds.Pollers, {Feeds.Poller, {feed_url, config}})
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
end

defmodule Feeds.Poller do
  use GenServer
  require Logger

  def start_link({feed_url, config}),
    do:
      GenServer.start_link(__MODULE__, {feed_url, config},
        name: {:via, Registry, {Feeds.Registry, feed_url}}
      )

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
