defmodule Pricing.QuoteCacheHiddenTest do
  use ExUnit.Case

  import ExUnit.CaptureLog

  alias Pricing.QuoteCache

  @log_opts [format: "\u001e$level|$message", colors: [enabled: false]]

  setup do
    cache = start_supervised!(Supervisor.child_spec(QuoteCache, restart: :temporary))
    %{cache: cache, monitor: Process.monitor(cache)}
  end

  @tag points: 1
  test "a second kind of unexpected message is logged once too, naming its tag", ctx do
    log =
      capture_log(@log_opts, fn ->
        for sequence <- 1..1_000, do: send(ctx.cache, {:heartbeat, sequence})
        for n <- 1..1_000, do: send(ctx.cache, {:trading_halt, "SYM#{rem(n, 7)}"})
        price!(ctx, "ACME")
      end)

    heartbeats = entries_mentioning(log, "heartbeat")
    halts = entries_mentioning(log, "trading_halt")

    assert length(heartbeats) == 1 and length(halts) == 1,
           "expected one warning per kind of unexpected message (one for :heartbeat, one for " <>
             ":trading_halt), got #{length(heartbeats)} and #{length(halts)}: a new kind is " <>
             "news for the operator, a repeat of a known kind is not"
  end

  @tag points: 2
  test "a kind already reported is not logged again, not even seconds later or after a feed reset",
       ctx do
    capture_log(fn ->
      for sequence <- 1..1_000, do: send(ctx.cache, {:heartbeat, sequence})
      price!(ctx, "ACME")
    end)

    # Longer than a once-a-second (or once-every-two-seconds) throttle waits.
    Process.sleep(2_500)

    log =
      capture_log(@log_opts, fn ->
        # A feed reset clears the prices, not what the cache has already reported.
        send(ctx.cache, :feed_reset)
        for sequence <- 1_001..2_000, do: send(ctx.cache, {:heartbeat, sequence})
        price!(ctx, "ACME")
      end)

    repeats = entries_mentioning(log, "heartbeat")

    assert repeats == [],
           "the heartbeats were reported already, yet 2.5 s later, after a feed reset, the next " <>
             "1,000 wrote #{length(repeats)} more log entries: a kind is reported once for the life of " <>
             "the process, not once a second or once per burst; later messages of that kind " <>
             "are only counted. First entries: #{inspect(Enum.take(repeats, 3))}"
  end

  @tag points: 1
  test "unexpected messages interleaved with quotes: every quote is applied in order", ctx do
    capture_log(fn ->
      for n <- 1..500 do
        send(ctx.cache, {:heartbeat, n})
        send(ctx.cache, {:quote, "SYM#{rem(n, 10)}", n})
        send(ctx.cache, {:trading_halt, "SYM#{rem(n, 10)}"})
      end

      for digit <- 0..9 do
        expected = if digit == 0, do: 500, else: 490 + digit

        assert price!(ctx, "SYM#{digit}") == {:ok, expected},
               "a quote sent between unexpected messages was lost or applied out of order"
      end
    end)

    assert queue_len(ctx.cache) == 0
  end

  @tag points: 1
  test "quotes and feed resets are not logged as unexpected", ctx do
    log =
      capture_log(@log_opts, fn ->
        for n <- 1..200, do: send(ctx.cache, {:quote, "SYM#{rem(n, 10)}", n})
        send(ctx.cache, :feed_reset)
        send(ctx.cache, {:quote, "ACME", 10_150})
        assert price!(ctx, "ACME") == {:ok, 10_150}
      end)

    noisy = for {level, message} <- entries(log), level in ~w(warning error), do: message

    assert noisy == [],
           "the messages the cache is built for were logged as problems: #{inspect(Enum.take(noisy, 2))}"
  end

  @tag points: 2
  test "the cache survives a message of every shape, one at a time: same pid, prices kept",
       ctx do
    capture_log(fn ->
      for {message, n} <- Enum.with_index(odd_shapes(), 1) do
        send(ctx.cache, message)
        send(ctx.cache, {:quote, "ACME", n})

        case price(ctx, "ACME") do
          {:ok, ^n} ->
            :ok

          {:died, reason} ->
            flunk(
              "the cache died on #{inspect(message)}: #{reason}. The last handle_info/2 " <>
                "clause must match any message, and nothing it calls may raise on an odd " <>
                "shape (elem(message, 0) raises on {})"
            )

          other ->
            flunk("after #{inspect(message)} the cache answered #{inspect(other)} for ACME")
        end
      end
    end)
  end

  @tag points: 3
  test "messages of any shape are survived and drained: atoms, strings, late replies, :DOWN, {}",
       ctx do
    log =
      capture_log(@log_opts, fn ->
        for _round <- 1..100, message <- odd_shapes(), do: send(ctx.cache, message)
        send(ctx.cache, {:quote, "ACME", 10_150})
        assert price!(ctx, "ACME") == {:ok, 10_150}
      end)

    assert queue_len(ctx.cache) == 0,
           "#{queue_len(ctx.cache)} odd-shaped messages are stuck in the cache's mailbox"

    warnings = for {level, _message} <- entries(log), level in ~w(warning error), do: level

    assert warnings != [],
           "1,000 unexpected messages of odd shapes were dropped without a single warning"
  end

  @tag points: 2
  test "a kind does not change from message to message: 1,000 late replies are one kind, 1,000 :DOWN reasons too", ctx do
    log =
      capture_log(@log_opts, fn ->
        for n <- 1..1_000, do: send(ctx.cache, {make_ref(), {:ok, n}})
        price!(ctx, "ACME")
      end)

    reported = for {level, message} <- entries(log), level in ~w(warning error), do: message

    assert length(reported) == 1,
           "1,000 late replies {ref, value}, each with its own reference, were reported " <>
             "#{length(reported)} times (expected once): a reference, a counter or a pid in " <>
             "the kind makes every message a new kind, and the log a flood again. Only an " <>
             "atom tag names a kind. First entries: #{inspect(Enum.take(reported, 2))}"

    log =
      capture_log(@log_opts, fn ->
        for n <- 1..1_000, do: send(ctx.cache, {:DOWN, make_ref(), :process, self(), {:shutdown, n}})
        price!(ctx, "ACME")
      end)

    reported = for {level, message} <- entries(log), level in ~w(warning error), do: message

    assert length(reported) == 1,
           "1,000 :DOWN messages, each with its own reason, were reported #{length(reported)} " <>
             "times (expected once): they are one kind, :DOWN, their tag. An exit reason " <>
             "changes from message to message like a reference does. First entries: " <>
             "#{inspect(Enum.take(reported, 2))}"

    log =
      capture_log(@log_opts, fn ->
        for n <- 1..500, do: send(ctx.cache, "free text #{n}")
        for n <- 1..500, do: send(ctx.cache, %{order: n})
        price!(ctx, "ACME")
      end)

    reported = for {level, message} <- entries(log), level in ~w(warning error), do: message

    assert length(reported) <= 2,
           "500 different strings and 500 different maps were reported #{length(reported)} " <>
             "times (expected at most twice): a message with no atom tag is not a kind of " <>
             "its own. First entries: #{inspect(Enum.take(reported, 2))}"
  end

  # --- helpers ----------------------------------------------------------------

  # Odd shapes a long-lived process receives sooner or later; each late reply has its own ref.
  defp odd_shapes do
    [
      :stray_atom,
      "a string",
      42,
      [1, 2, 3],
      %{event: :order_placed},
      {},
      {42},
      {"tag", :value},
      {make_ref(), {:ok, :late_reply}},
      {:DOWN, make_ref(), :process, self(), :normal},
      {:EXIT, self(), :normal},
      # Plain messages shaped like a crash notice: the cache monitors nothing and traps no
      # exits, so they are as unexpected as any other message, not a reason to stop.
      {:DOWN, make_ref(), :process, self(), :killed},
      {:EXIT, self(), :boom},
      {:tcp_closed, make_ref()}
    ]
  end

  defp price!(ctx, symbol) do
    case price(ctx, symbol) do
      {:died, reason} -> flunk("the cache died on an unexpected message: #{reason}")
      answer -> answer
    end
  end

  # The cache's answer, or {:died, reason} when it died.
  defp price(ctx, symbol) do
    QuoteCache.price(ctx.cache, symbol)
  catch
    :exit, _reason ->
      receive do
        {:DOWN, monitor, :process, _pid, reason} when monitor == ctx.monitor ->
          {:died, describe_exit(reason)}
      after
        1_000 -> flunk("the cache did not answer")
      end
  end

  defp describe_exit(reason) do
    lines = reason |> Exception.format_exit() |> String.split("\n", trim: true)

    Enum.find(lines, hd(lines), &String.contains?(&1, "** ("))
    |> String.trim()
    |> String.trim_leading("** ")
    |> String.trim_trailing(":")
    |> String.slice(0, 300)
  end

  defp queue_len(pid) do
    case Process.info(pid, :message_queue_len) do
      {:message_queue_len, length} -> length
      nil -> nil
    end
  end

  defp entries(log) do
    for entry <- String.split(log, "\u001e", trim: true),
        [level, message] <- [String.split(entry, "|", parts: 2)],
        do: {level, String.trim(message)}
  end

  defp entries_mentioning(log, word) do
    for {_level, message} = entry <- entries(log), String.contains?(message, word), do: entry
  end
end
