defmodule FeedsTest do
  use ExUnit.Case

  # Every test starts Feeds with a fetcher that tells the test which process polled which feed,
  # then answers as the feed's URL says: "crash-once" raises on its first fetch only, "crash-always"
  # on every fetch, any other feed answers {:ok, []}.
  @interval 20

  setup do
    test = self()
    fetches = :counters.new(1, [:atomics])

    fetch = fn feed_url ->
      send(test, {:fetched, feed_url, self()})
      :counters.add(fetches, 1, 1)

      cond do
        feed_url =~ "crash-always" ->
          raise "unparseable feed #{feed_url}"

        feed_url =~ "crash-once" and :counters.get(fetches, 1) == 1 ->
          raise "unparseable feed #{feed_url}"

        true ->
          {:ok, []}
      end
    end

    feeds = start_supervised!({Feeds, fetch: fetch, interval: @interval})
    %{feeds: feeds}
  end

  # The pid of the next process that fetches `feed_url` (other than `not_pid`), within 5 s.
  defp next_poll(feed_url, not_pid \\ nil, why \\ nil) do
    receive do
      {:fetched, ^feed_url, pid} when pid != not_pid -> pid
    after
      5_000 -> flunk(why || "no poller fetched #{feed_url} within 5 s")
    end
  end

  defp ancestors(pid) do
    {:dictionary, dictionary} = Process.info(pid, :dictionary)

    for ancestor <- Keyword.get(dictionary, :"$ancestors", []),
        do: if(is_atom(ancestor), do: Process.whereis(ancestor), else: ancestor)
  end

  defp supervisor?(pid) do
    {:dictionary, dictionary} = Process.info(pid, :dictionary)
    match?({:supervisor, _, _}, dictionary[:"$initial_call"])
  end

  @tag points: 1
  test "a started poller polls its feed" do
    assert {:ok, _} = Feeds.start_poller("https://blog.example/rss")
    next_poll("https://blog.example/rss")
    poller = next_poll("https://blog.example/rss")
    assert Process.alive?(poller)
  end

  @tag points: 1
  test "pollers/0 lists every subscribed feed with the pid that polls it" do
    {:ok, _} = Feeds.start_poller("https://a.example/rss")
    {:ok, _} = Feeds.start_poller("https://b.example/rss")
    a = next_poll("https://a.example/rss")
    b = next_poll("https://b.example/rss")
    assert Feeds.pollers() == %{"https://a.example/rss" => a, "https://b.example/rss" => b}
  end

  @tag points: 2
  test "every poller is a child of a supervisor under Feeds, not a bare spawn", %{feeds: feeds} do
    {:ok, _} = Feeds.start_poller("https://blog.example/rss")
    poller = next_poll("https://blog.example/rss")

    assert feeds in ancestors(poller),
           "the poller #{inspect(poller)} was not started under the Feeds process #{inspect(feeds)} " <>
             "(its $ancestors are #{inspect(ancestors(poller))}): a bare spawn has no owner, so nobody " <>
             "restarts it and stopping Feeds leaves it running"

    [parent | _] = ancestors(poller)

    assert supervisor?(parent),
           "the poller's parent #{inspect(parent)} is not a supervisor: start the poller as a child of a " <>
             "(Dynamic)Supervisor (DynamicSupervisor.start_child/2), which restarts it and stops it"

    children = for {_id, pid, _type, _modules} <- :supervisor.which_children(parent), do: pid

    assert poller in children,
           "the supervisor #{inspect(parent)} does not list the poller among its children"
  end

  @tag points: 3
  test "a poller that crashes on a bad response is restarted: a new process polls the feed" do
    {:ok, _} = Feeds.start_poller("https://crash-once.example/rss")
    crashed = next_poll("https://crash-once.example/rss")

    restarted =
      next_poll(
        "https://crash-once.example/rss",
        crashed,
        "the poller #{inspect(crashed)} crashed on a bad response and no new poller fetched the feed " <>
          "within 5 s: nothing restarted it. Start pollers as :permanent (or :transient) children of a " <>
          "supervisor, and let the crash happen: do not rescue it"
      )

    refute Process.alive?(crashed)
    assert Process.alive?(restarted)

    assert Feeds.pollers()["https://crash-once.example/rss"] == restarted,
           "pollers/0 shows #{inspect(Feeds.pollers())}, not the restarted poller #{inspect(restarted)}"
  end
end
