defmodule Feeds do
  @moduledoc """
  Polls the RSS/Atom feeds our users subscribe to: one long-lived poller per feed URL, which
  fetches the feed every `:interval` milliseconds and hands the entries to `:store`.

  Options of `start_link/1`: `:fetch` (`fn feed_url -> {:ok, entries} | {:error, reason} end`, the
  HTTP fetch and parse), `:store` (`fn feed_url, entries -> any end`, optional) and `:interval`.
  """
  use Agent
  require Logger

  def start_link(opts) do
    config = %{
      fetch: Keyword.fetch!(opts, :fetch),
      store: Keyword.get(opts, :store, fn _feed_url, _entries -> :ok end),
      interval: Keyword.get(opts, :interval, 60_000)
    }

    Agent.start_link(fn -> %{config: config, pollers: %{}} end, name: __MODULE__)
  end

  @doc "Starts polling `feed_url`: `{:ok, pid}` of its poller."
  def start_poller(feed_url) do
    config = Agent.get(__MODULE__, & &1.config)
    pid = spawn(fn -> loop(feed_url, config) end)
    Agent.update(__MODULE__, &put_in(&1.pollers[feed_url], pid))
    {:ok, pid}
  end

  @doc "Stops polling `feed_url`."
  def stop_poller(feed_url) do
    pid = Agent.get_and_update(__MODULE__, &pop_in(&1.pollers[feed_url]))
    if pid, do: Process.exit(pid, :kill)
    :ok
  end

  @doc "The feeds being polled: `%{feed_url => poller_pid}`."
  def pollers, do: Agent.get(__MODULE__, & &1.pollers)

  defp loop(feed_url, config) do
    case config.fetch.(feed_url) do
      {:ok, entries} -> config.store.(feed_url, entries)
      {:error, reason} -> Logger.warning("feed #{feed_url} unavailable: #{inspect(reason)}")
    end

    Process.sleep(config.interval)
    loop(feed_url, config)
  end
end
