defmodule Pricing.QuoteCacheTest do
  use ExUnit.Case

  import ExUnit.CaptureLog

  alias Pricing.QuoteCache

  # Each captured log entry starts with a record separator, so entries can be counted exactly.
  @log_opts [format: "\u001e$level|$message", colors: [enabled: false]]

  setup do
    cache = start_supervised!(Supervisor.child_spec(QuoteCache, restart: :temporary))
    %{cache: cache, monitor: Process.monitor(cache)}
  end

  @tag points: 1
  test "a quote pushed by the feed can be read back", %{cache: cache} do
    send(cache, {:quote, "ACME", 10_150})

    assert QuoteCache.price(cache, "ACME") == {:ok, 10_150}
    assert QuoteCache.price(cache, "INIT") == :error
  end

  @tag points: 2
  test "1,000 unexpected messages do not crash the cache: same pid, prices kept", ctx do
    send(ctx.cache, {:quote, "ACME", 10_150})
    send_heartbeats(ctx.cache)

    assert price!(ctx, "ACME") == {:ok, 10_150},
           "the cache survived the heartbeats but lost the prices it held before them"

    assert Process.alive?(ctx.cache)
  end

  @tag points: 2
  test "the mailbox drains to 0 after 1,000 unexpected messages, and the cache keeps none of them",
       ctx do
    # Each status message carries a 200-element list: a thousand of them kept anywhere in the
    # cache would take some 400,000 words of its heap.
    for sequence <- 1..1_000, do: send(ctx.cache, {:market_status, sequence, Enum.to_list(1..200)})

    assert drained?(ctx, 5_000),
           "#{queue_len(ctx.cache)} messages are still waiting in the cache's mailbox 5 s after " <>
             "the last unexpected message: a message no clause matches is never removed, and " <>
             "every receive scans past all of them. Take every message out of the mailbox."

    assert price!(ctx, "ACME") == :error
    :erlang.garbage_collect(ctx.cache)
    {:total_heap_size, words} = Process.info(ctx.cache, :total_heap_size)

    assert words < 100_000,
           "after 1,000 unexpected messages of one kind the cache's heap holds #{words} words: " <>
             "it keeps the messages (in its state, say). Report a kind once and only count the " <>
             "rest: moving the pile-up from the mailbox into the state is the same leak"
  end

  @tag points: 2
  test "1,000 unexpected messages of one kind are logged once, as a warning naming them", ctx do
    log =
      capture_log(@log_opts, fn ->
        send_heartbeats(ctx.cache)
        price!(ctx, "ACME")
      end)

    entries = entries_mentioning(log, "heartbeat")

    assert entries != [],
           "1,000 {:heartbeat, n} messages vanished without a trace: log the first one at " <>
             "warning level, naming the message, so someone can find out who sends them"

    assert length(entries) == 1,
           "expected ONE log entry about the heartbeats, got #{length(entries)}: a flood of " <>
             "unexpected messages must not turn into a flood of logs. Log a kind of message " <>
             "(its tag, :heartbeat) the first time it arrives, then only count it. " <>
             "First entries: #{inspect(Enum.take(entries, 3))}"

    [{level, _message}] = entries

    assert level == "warning",
           "the heartbeats were logged at #{level} level: " <>
             if(level in ~w(error critical alert emergency),
               do: "an error pages someone for chatter nobody has to act on at once. ",
               else: "production usually filters that level out. "
             ) <> "Log an unexpected message as a warning"
  end

  @tag points: 1
  test "quotes and feed resets still work after unexpected messages", ctx do
    send_heartbeats(ctx.cache)
    send(ctx.cache, {:quote, "ACME", 10_150})
    assert price!(ctx, "ACME") == {:ok, 10_150}

    send(ctx.cache, :feed_reset)
    send(ctx.cache, {:quote, "INIT", 2_500})
    assert price!(ctx, "ACME") == :error
    assert price!(ctx, "INIT") == {:ok, 2_500}
  end

  # --- helpers ----------------------------------------------------------------

  defp send_heartbeats(cache) do
    for sequence <- 1..1_000, do: send(cache, {:heartbeat, sequence})
  end

  # A call is answered only after every message sent before it was handled.
  defp price!(ctx, symbol) do
    QuoteCache.price(ctx.cache, symbol)
  catch
    :exit, _reason -> flunk(death_message(ctx))
  end

  defp drained?(ctx, timeout) do
    deadline = System.monotonic_time(:millisecond) + timeout
    wait_until_drained(ctx, deadline)
  end

  defp wait_until_drained(ctx, deadline) do
    case queue_len(ctx.cache) do
      nil ->
        flunk(death_message(ctx))

      0 ->
        true

      _waiting ->
        if System.monotonic_time(:millisecond) > deadline do
          false
        else
          Process.sleep(10)
          wait_until_drained(ctx, deadline)
        end
    end
  end

  defp queue_len(pid) do
    case Process.info(pid, :message_queue_len) do
      {:message_queue_len, length} -> length
      nil -> nil
    end
  end

  defp death_message(%{monitor: monitor}) do
    receive do
      {:DOWN, ^monitor, :process, _pid, reason} ->
        "the cache died on an unexpected message (#{describe_exit(reason)}): a GenServer " <>
          "crashes when no handle_info clause matches, and every price it held is lost"
    after
      1_000 -> "the cache did not answer"
    end
  end

  defp describe_exit(reason) do
    lines = reason |> Exception.format_exit() |> String.split("\n", trim: true)

    Enum.find(lines, hd(lines), &String.contains?(&1, "** ("))
    |> String.trim()
    |> String.trim_leading("** ")
  end

  defp entries_mentioning(log, word) do
    for entry <- String.split(log, "\u001e", trim: true),
        [level, message] <- [String.split(entry, "|", parts: 2)],
        String.contains?(message, word),
        do: {level, String.trim(message)}
  end
end
