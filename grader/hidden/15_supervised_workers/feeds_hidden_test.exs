defmodule FeedsHiddenTest do
  use ExUnit.Case

  # As in the visible tests: the fetcher tells the test which process polled which feed; a feed
  # whose URL says "crash-always" raises on every fetch, any other feed answers {:ok, []}.
  @interval 20

  setup do
    test = self()

    fetch = fn feed_url ->
      send(test, {:fetched, feed_url, self()})
      if feed_url =~ "crash-always", do: raise("unparseable feed #{feed_url}"), else: {:ok, []}
    end

    feeds = start_supervised!({Feeds, fetch: fetch, interval: @interval})
    %{feeds: feeds}
  end

  defp next_poll(feed_url, not_pids \\ [], why \\ nil) do
    receive do
      {:fetched, ^feed_url, pid} ->
        if pid in not_pids, do: next_poll(feed_url, not_pids, why), else: pid
    after
      5_000 -> flunk(why || "no new poller fetched #{feed_url} within 5 s")
    end
  end

  # Whether `pollers/0` stops listing `feed_url` within 5 s (a Registry forgets a dead process a
  # moment after it died).
  defp unlisted?(feed_url, deadline \\ System.monotonic_time(:millisecond) + 5_000) do
    cond do
      not Map.has_key?(Feeds.pollers(), feed_url) -> true
      System.monotonic_time(:millisecond) > deadline -> false
      true -> Process.sleep(10) && unlisted?(feed_url, deadline)
    end
  end

  @tag points: 2
  test "stopping Feeds stops every poller: none is left running" do
    feed_urls = for n <- 1..3, do: "https://blog#{n}.example/rss"
    for feed_url <- feed_urls, do: {:ok, _} = Feeds.start_poller(feed_url)
    pollers = for feed_url <- feed_urls, do: next_poll(feed_url)
    refs = for pid <- pollers, do: {Process.monitor(pid), pid}

    :ok = stop_supervised(Feeds)

    for {ref, pid} <- refs do
      assert_receive {:DOWN, ^ref, :process, ^pid, _},
                     5_000,
                     "the poller #{inspect(pid)} is still running after Feeds stopped: a process that no " <>
                       "supervisor owns outlives the application; start pollers under Feeds' supervision"
    end
  end

  @tag points: 2
  test "stop_poller/1 stops a feed for good: its poller is not restarted" do
    {:ok, _} = Feeds.start_poller("https://old.example/rss")
    {:ok, _} = Feeds.start_poller("https://kept.example/rss")
    old = next_poll("https://old.example/rss")
    ref = Process.monitor(old)

    assert Feeds.stop_poller("https://old.example/rss") == :ok

    assert_receive {:DOWN, ^ref, :process, ^old, _},
                   5_000,
                   "stop_poller/1 did not stop the poller"

    # Let the other feed poll a few more times: the stopped feed must stay stopped meanwhile.
    kept = next_poll("https://kept.example/rss")
    for _ <- 1..3, do: assert(next_poll("https://kept.example/rss") == kept)

    refute_received {:fetched, "https://old.example/rss", _},
                    "the stopped feed was polled again: its poller was restarted. Remove it from its " <>
                      "supervisor (DynamicSupervisor.terminate_child/2) or make it :transient and stop it " <>
                      "with a normal exit; killing a permanent child only makes the supervisor restart it"

    assert unlisted?("https://old.example/rss"),
           "pollers/0 still lists the stopped feed: #{inspect(Feeds.pollers())}"
  end

  @tag points: 1
  test "a poller killed from outside is restarted too" do
    {:ok, _} = Feeds.start_poller("https://blog.example/rss")
    killed = next_poll("https://blog.example/rss")
    Process.exit(killed, :kill)

    restarted =
      next_poll(
        "https://blog.example/rss",
        [killed],
        "the poller #{inspect(killed)} was killed and no new poller fetched the feed within 5 s: " <>
          "nothing restarted it (a Task child is :temporary unless told otherwise)"
      )

    assert Process.alive?(restarted)
  end

  @tag points: 3
  test "a feed that crashes on every fetch is given up after 3 restarts, and the other feeds keep their pollers",
       %{feeds: feeds} do
    {:ok, _} = Feeds.start_poller("https://healthy.example/rss")
    healthy = next_poll("https://healthy.example/rss")
    {:ok, _} = Feeds.start_poller("https://crash-always.example/rss")

    # The first poller and its 3 restarts each crash on their first fetch.
    Enum.reduce(1..4, [], fn _, crashed ->
      why =
        "the feed that crashes on every fetch was not restarted 3 times (#{length(crashed)} pollers in 5 s)"

      [next_poll("https://crash-always.example/rss", crashed, why) | crashed]
    end)

    # The healthy feed polls on, with the same poller; the broken one is polled no more.
    for _ <- 1..5 do
      polled =
        next_poll(
          "https://healthy.example/rss",
          [],
          "the healthy feed stopped being polled while another feed crashed on every fetch: the broken " <>
            "feed exhausted the restart intensity of the supervisor of every feed, which took the healthy " <>
            "poller down with it. Give each feed a supervisor of its own"
        )

      assert polled == healthy,
             "the healthy feed's poller was replaced while another feed crashed: a crash-looping feed " <>
               "must exhaust the restart intensity of its own subtree only, not of the supervisor of every feed"
    end

    refute_received {:fetched, "https://crash-always.example/rss", _},
                    "the feed that crashes on every fetch was restarted more than 3 times: give it up after " <>
                      "3 restarts in 5 seconds (its own supervisor's max_restarts), with the report in the log"

    assert unlisted?("https://crash-always.example/rss"),
           "pollers/0 still lists the feed that was given up: #{inspect(Feeds.pollers())}"

    assert Process.alive?(feeds)
  end
end
