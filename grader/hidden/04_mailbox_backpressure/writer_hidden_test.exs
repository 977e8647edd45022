defmodule Audit.WriterHiddenTest do
  use ExUnit.Case

  alias Audit.Writer

  # A fake audit store. Writes wait while its gate is closed, then take `delay_ms` each
  # (the slowness is injected into the writer, the test itself never waits on it).
  # Every write lands in an ETS table, in the order the writes happened.
  defp store(opts) do
    gate = :atomics.new(1, [])
    if Keyword.get(opts, :open, true), do: :atomics.put(gate, 1, 1)
    delay = Keyword.get(opts, :delay_ms, 0)
    table = :ets.new(:written, [:ordered_set, :public])
    sequence = :atomics.new(1, [])
    # Slot 1: writes under way right now (waiting at the gate included), slot 2: the most
    # there ever were at once.
    gauge = :atomics.new(2, [])

    write = fn event ->
      raise_peak(gauge, :atomics.add_get(gauge, 1, 1))

      try do
        wait_for_gate(gate)
        if delay > 0, do: Process.sleep(delay)
        :ets.insert(table, {:atomics.add_get(sequence, 1, 1), event})
        :ok
      after
        :atomics.sub(gauge, 1, 1)
      end
    end

    %{write: write, gate: gate, table: table, gauge: gauge}
  end

  defp raise_peak(gauge, value) do
    peak = :atomics.get(gauge, 2)

    if value > peak and :atomics.compare_exchange(gauge, 2, peak, value) != :ok,
      do: raise_peak(gauge, value),
      else: :ok
  end

  defp wait_for_gate(gate) do
    if :atomics.get(gate, 1) == 0 do
      Process.sleep(2)
      wait_for_gate(gate)
    end
  end

  defp open(store), do: :atomics.put(store.gate, 1, 1)
  defp close(store), do: :atomics.put(store.gate, 1, 0)
  defp written(store), do: store.table |> :ets.tab2list() |> Enum.map(&elem(&1, 1))

  # `callers` processes, each recording `count` events {caller, n} as fast as it can.
  # Each tells the test every answer as it gets it, and returns [{event, answer}]. A caller
  # whose call timed out exits, as a request would: it records nothing more.
  defp firehose(writer, callers, count) when is_integer(callers), do: firehose(writer, 1..callers, count)

  defp firehose(writer, callers, count) do
    test = self()

    for caller <- callers do
      Task.async(fn ->
        1..count
        |> Enum.reduce_while([], fn n, results ->
          answer = record(writer, {caller, n})
          send(test, {:answered, answer})
          results = [{{caller, n}, answer} | results]
          if match?({:exit, _}, answer), do: {:halt, results}, else: {:cont, results}
        end)
        |> Enum.reverse()
      end)
    end
  end

  defp record(writer, event) do
    Writer.record(writer, event)
  catch
    :exit, {:timeout, _} = reason -> {:exit, reason}
  end

  # Waits until every caller is done or `ms` have passed, whichever comes first;
  # `finish/1` then collects all the answers (once the store is open again).
  defp hold(callers, ms), do: Task.yield_many(callers, ms)

  defp finish(held) do
    Enum.flat_map(held, fn
      {_task, {:ok, results}} -> results
      {task, nil} -> Task.await(task, 30_000)
    end)
  end

  # How many events were answered :ok so far (reads the answers out of the mailbox).
  defp accepted_so_far, do: answers_so_far().ok

  # The answers so far, counted: %{ok: n, overloaded: n, other: n}.
  defp answers_so_far(counts \\ %{ok: 0, overloaded: 0, other: 0}) do
    receive do
      {:answered, :ok} ->
        answers_so_far(%{counts | ok: counts.ok + 1})

      {:answered, {:error, :overloaded}} ->
        answers_so_far(%{counts | overloaded: counts.overloaded + 1})

      {:answered, _other} ->
        answers_so_far(%{counts | other: counts.other + 1})
    after
      0 -> counts
    end
  end

  # Samples the writer's mailbox length every millisecond until stopped; gives the largest.
  defp start_sampler(pid) do
    test = self()
    spawn_link(fn -> sample(pid, test, 0) end)
  end

  defp sample(pid, test, largest) do
    largest = max(largest, queue_len(pid))

    receive do
      :stop -> send(test, {:largest_queue, max(largest, queue_len(pid))})
    after
      1 -> sample(pid, test, largest)
    end
  end

  defp stop_sampler(sampler) do
    send(sampler, :stop)
    assert_receive {:largest_queue, largest}, 5_000
    largest
  end

  defp queue_len(pid) do
    case Process.info(pid, :message_queue_len) do
      {:message_queue_len, length} -> length
      nil -> 0
    end
  end

  defp eventually(condition, ms_left \\ 15_000) do
    cond do
      condition.() ->
        true

      ms_left <= 0 ->
        false

      true ->
        Process.sleep(10)
        eventually(condition, ms_left - 10)
    end
  end

  defp assert_answers_and_no_loss(results, store) do
    for {event, answer} <- results do
      assert answer in [:ok, {:error, :overloaded}] or match?({:exit, {:timeout, _}}, answer),
             "record/2 answered #{inspect(answer)} for #{inspect(event)}: it must answer :ok " <>
               "(accepted, it will be written) or {:error, :overloaded} (refused, the caller " <>
               "knows and can react); a caller made to wait may also exit when its call times out"
    end

    accepted = for {event, :ok} <- results, do: event

    assert eventually(fn -> accepted -- written(store) == [] end),
           "#{length(accepted -- written(store))} events answered :ok were never written: " <>
             "dropping an accepted event is silent loss. Refuse it with {:error, :overloaded} " <>
             "instead, so the caller knows"
  end

  # Waits until the writer has handled every message sent to it so far (a system message is
  # handled in turn, after them).
  defp settle(writer), do: :sys.get_state(writer, 30_000)

  @tag points: 3
  test "under a firehose from 10 callers the sampled mailbox stays within max_queue + callers" do
    store = store(open: false, delay_ms: 1)
    writer = start_supervised!({Writer, write: store.write, max_queue: 30})

    sampler = start_sampler(writer)
    # The store stalls for the first 200 ms, then takes a millisecond per write. One caller
    # starts first, until a write is stuck on the store: the other nine then find the writer
    # busy on every run, so what they send cannot be moved out of the mailbox between samples.
    lead = firehose(writer, 1..1, 200)
    eventually(fn -> :atomics.get(store.gauge, 1) > 0 end, 2_000)
    held = (lead ++ firehose(writer, 2..10, 200)) |> hold(200)
    stalled = queue_len(writer)
    open(store)
    results = finish(held)
    largest = max(stop_sampler(sampler), stalled)

    assert largest <= 30 + 10,
           "10 callers recording 200 events each into a store that stalls, then takes a " <>
             "millisecond per write, pushed the writer's mailbox to #{largest} messages (at " <>
             "most 40 allowed with max_queue: 30). Producers that never wait outrun a slow " <>
             "consumer: bound the mailbox by refusing ({:error, :overloaded}) or by making " <>
             "callers wait"

    assert_answers_and_no_loss(results, store)
  end

  @tag points: 2
  test "the :max_queue option is honoured, not a hard-coded limit, each writer its own" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 5})
    # A second writer, started after the first, with a limit of its own.
    roomy_store = store(open: false)
    spec = Supervisor.child_spec({Writer, write: roomy_store.write, max_queue: 1_000}, id: :roomy)
    roomy = start_supervised!(spec)

    sampler = start_sampler(writer)
    held = writer |> firehose(3, 50) |> hold(300)
    largest = stop_sampler(sampler)
    accepted_while_stuck = accepted_so_far()
    open(store)
    results = finish(held)

    assert largest <= 5 + 3,
           "with max_queue: 5 and 3 callers the writer's mailbox reached #{largest} " <>
             "messages (at most 8 allowed): read the limit from the :max_queue option this " <>
             "writer was started with (another writer started with max_queue: 1_000 next to it)"

    assert accepted_while_stuck <= 5 + 3 + 1,
           "with max_queue: 5 the writer accepted #{accepted_while_stuck} events while the " <>
             "store hung (at most 9 allowed): read the limit from the :max_queue option this " <>
             "writer was started with (another writer started with max_queue: 1_000 next to it)"

    assert_answers_and_no_loss(results, store)

    # 10 requests record one event each into the roomy writer while its store hangs.
    held = roomy |> firehose(10, 1) |> hold(300)
    open(roomy_store)
    results = finish(held)
    refused = for {event, {:error, :overloaded}} <- results, do: event

    assert refused == [],
           "a writer started with max_queue: 1_000 refused #{length(refused)} of 10 events " <>
             "while its store hung: it is not behind. Each writer keeps the :max_queue it " <>
             "was started with (the writer next to it has max_queue: 5), and a slow write " <>
             "under way is not an overload"

    assert_answers_and_no_loss(results, roomy_store)
  end

  @tag points: 1
  test "without :max_queue, up to 1_000 events wait for the store, no more" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write})

    sampler = start_sampler(writer)
    held = writer |> firehose(2, 1_100) |> hold(1_000)
    largest = stop_sampler(sampler)
    while_stuck = answers_so_far()
    open(store)
    results = finish(held)

    assert largest <= 1_000 + 2 and while_stuck.ok <= 1_000 + 2 + 1,
           "started without :max_queue, the writer took in #{while_stuck.ok} events while " <>
             "the store hung (its mailbox reached #{largest}): the default limit is 1_000"

    assert while_stuck.overloaded == 0 or while_stuck.ok >= 1_000 - 1,
           "started without :max_queue, the writer refused events after taking in only " <>
             "#{while_stuck.ok}: the default limit is 1_000"

    assert_answers_and_no_loss(results, store)
  end

  @tag points: 1
  test "after an overload the writer accepts events again" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 10})

    held = writer |> firehose(1, 40) |> hold(300)
    open(store)
    results = finish(held)
    assert_answers_and_no_loss(results, store)

    assert Writer.record(writer, :after_the_storm) == :ok,
           "once the store caught up, record/2 must accept events again"

    assert eventually(fn -> :after_the_storm in written(store) end),
           "an event accepted after the overload was never written"
  end

  @tag points: 1
  test "while the store is slow, events below max_queue are still accepted with :ok" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 50})

    # 10 requests record one event each while the store hangs: far below max_queue.
    held = writer |> firehose(10, 1) |> hold(300)
    open(store)
    results = finish(held)

    refused = for {event, {:error, :overloaded}} <- results, do: event

    assert refused == [],
           "with max_queue: 50 the writer refused #{length(refused)} of 10 events while the " <>
             "store was slow: it is behind only when max_queue events are already waiting. " <>
             "A slow write in progress is not an overload"

    assert_answers_and_no_loss(results, store)

    # The boundary: max_queue: 1, one write under way and no event waiting yet.
    store = store(open: false)
    spec = Supervisor.child_spec({Writer, write: store.write, max_queue: 1}, id: :one_slot)
    writer = start_supervised!(spec)
    [first] = firehose(writer, [:first], 1)

    assert eventually(fn -> :atomics.get(store.gauge, 1) == 1 end),
           "the first event recorded was never handed to the store"

    held = writer |> firehose([:second], 1) |> hold(300)
    open(store)
    results = Task.await(first, 30_000) ++ finish(held)

    assert {{:second, 1}, {:error, :overloaded}} not in results,
           "with max_queue: 1, one write under way and no event waiting, the next event was " <>
             "refused: the event being written is not waiting any more, so it does not count " <>
             "against max_queue. Count only the events still to be written"

    assert_answers_and_no_loss(results, store)
  end

  @tag points: 1
  test "the writer writes one event at a time" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 1_000})

    held = writer |> firehose(4, 50) |> hold(300)
    open(store)
    results = finish(held)
    assert_answers_and_no_loss(results, store)

    assert :atomics.get(store.gauge, 2) == 1,
           "#{:atomics.get(store.gauge, 2)} writes ran at the same time: the store takes one " <>
             "writer at a time. Starting a process per write empties the mailbox by moving " <>
             "the pile-up into processes; hand the writes over one at a time"
  end

  @tag points: 1
  test "each caller's events are written in the order it recorded them" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 1_000})

    held = writer |> firehose(4, 50) |> hold(300)
    open(store)
    results = finish(held)
    assert_answers_and_no_loss(results, store)

    for caller <- 1..4 do
      mine = for {^caller, n} <- written(store), do: n

      assert mine == Enum.sort(mine),
             "caller #{caller}'s events were written in the order #{inspect(Enum.take(mine, 8))}...: " <>
               "the oldest waiting event is written first (a :queue, not a list used as a stack)"
    end
  end

  @tag points: 2
  test "a call that timed out is neither refused nor accepted: the caller exits, and a refused event is never written" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 2})

    sampler = start_sampler(writer)
    # The store hangs for 12 s, unless every caller is done (refused at once, or exited when its
    # call timed out) before that: room for any explicit timeout up to 10 s (GenServer's default
    # is 5 s), with margin for callers that start late on a loaded machine. A writer answering at
    # once, or with the default timeout, is done far sooner.
    held = writer |> firehose(6, 50) |> hold(12_000)
    largest = stop_sampler(sampler)
    still_waiting = Enum.count(held, fn {_task, result} -> result == nil end)
    open(store)
    results = finish(held)
    settle(writer)
    assert_answers_and_no_loss(results, store)
    settle(writer)

    refused = for {event, {:error, :overloaded}} <- results, do: event
    written = written(store)
    refused_but_written = Enum.filter(refused, &(&1 in written))

    assert refused_but_written == [],
           "#{length(refused_but_written)} events answered {:error, :overloaded} were written " <>
             "anyway, e.g. #{inspect(Enum.take(refused_but_written, 3))}. A call that times out " <>
             "leaves its message in the writer's mailbox: the event is written later, although " <>
             "the caller was told it was refused (and may retry it: a duplicate). Let the " <>
             "caller exit when its call times out, or refuse before the event is queued"

    assert largest <= 2 + 6,
           "the writer's mailbox reached #{largest} messages with max_queue: 2 and 6 callers " <>
             "(at most 8 allowed): callers that give up waiting and record again leave one " <>
             "more message behind each time"

    assert still_waiting == 0,
           "#{still_waiting} of 6 callers were still waiting for record/2 after the store had " <>
             "hung for 12 s: a call that never times out (:infinity) hangs every request with " <>
             "the store. Give the call an explicit timeout (GenServer's default is 5 s) and " <>
             "let the caller exit when it expires"
  end

  @tag points: 1
  test "an overload is logged once, not once per refused event; a later overload is logged again" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 5})

    {refused, lines} = overload(writer, store, :first)

    assert refused < 400 or lines <= 3,
           "one overload, #{refused} refused events, #{lines} log lines: a line per refused " <>
             "event (or per 100 of them) is a second firehose, into the logs. Log when the " <>
             "writer starts refusing"

    # The writer caught up: what it accepted is written, and it accepts again.
    assert Writer.record(writer, :recovered) == :ok
    assert eventually(fn -> :recovered in written(store) end),
           "an event accepted after the overload was never written"

    # A writer that logs its overloads (logging is optional) logs the next one too.
    if refused > 0 and lines > 0 do
      {refused_again, lines_again} = overload(writer, store, :second)

      assert refused_again == 0 or lines_again in 1..3,
             "a second overload, after the writer had caught up, refused #{refused_again} " <>
               "events and logged #{lines_again} lines (the first one logged #{lines}): log " <>
               "each time the writer starts refusing, once, not only the first time in its life"
    end
  end

  # One overload: the store hangs while one caller records 600 events. A writer with
  # max_queue: 5 that sheds refuses some 590 of them; one that makes callers wait lets the
  # caller's call time out (the caller is done either way, well within the 10 s it is given).
  # Then the store recovers. Gives how many events were refused and how many lines were logged.
  defp overload(writer, store, caller) do
    close(store)

    log =
      ExUnit.CaptureLog.capture_log(fn ->
        held = writer |> firehose([caller], 600) |> hold(10_000)
        open(store)
        send(self(), {:results, finish(held)})
        settle(writer)
        Logger.flush()
      end)

    assert_receive {:results, results}
    assert_answers_and_no_loss(results, store)
    refused = Enum.count(results, fn {_event, answer} -> answer == {:error, :overloaded} end)

    lines =
      length(
        Regex.scan(~r/\[(debug|info|notice|warn|warning|error|critical|alert|emergency)\]/, log)
      )

    {refused, lines}
  end
end
