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
    # Slot 1: writes under way right now, slot 2: the most there ever were at once.
    gauge = :atomics.new(2, [])

    write = fn event ->
      wait_for_gate(gate)
      raise_peak(gauge, :atomics.add_get(gauge, 1, 1))

      try do
        if delay > 0, do: Process.sleep(delay)
        :ets.insert(table, {:atomics.add_get(sequence, 1, 1), event})
        :ok
      after
        :atomics.sub(gauge, 1, 1)
      end
    end

    %{write: write, gate: gate, table: table, gauge: gauge}
  end

  defp wait_for_gate(gate) do
    if :atomics.get(gate, 1) == 0 do
      Process.sleep(2)
      wait_for_gate(gate)
    end
  end

  defp raise_peak(gauge, value) do
    peak = :atomics.get(gauge, 2)

    if value > peak and :atomics.compare_exchange(gauge, 2, peak, value) != :ok,
      do: raise_peak(gauge, value),
      else: :ok
  end

  defp open(store), do: :atomics.put(store.gate, 1, 1)
  defp written(store), do: store.table |> :ets.tab2list() |> Enum.map(&elem(&1, 1))

  # `callers` processes, each recording `count` events {caller, n} as fast as it can.
  # Each tells the test every answer as it gets it, and returns [{event, answer}].
  defp firehose(writer, callers, count) do
    test = self()

    for caller <- 1..callers do
      Task.async(fn ->
        for n <- 1..count do
          answer = Writer.record(writer, {caller, n})
          send(test, {:answered, answer})
          {{caller, n}, answer}
        end
      end)
    end
  end

  # How many events were answered :ok so far (reads the answers out of the mailbox).
  defp accepted_so_far(count \\ 0) do
    receive do
      {:answered, :ok} -> accepted_so_far(count + 1)
      {:answered, _refused} -> accepted_so_far(count)
    after
      0 -> count
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
      assert answer in [:ok, {:error, :overloaded}],
             "record/2 answered #{inspect(answer)} for #{inspect(event)}: it must answer :ok " <>
               "(accepted, it will be written) or {:error, :overloaded} (refused, the caller " <>
               "knows and can react)"
    end

    accepted = for {event, :ok} <- results, do: event
    assert accepted != [], "the writer refused every event: shed only when it is behind"

    assert eventually(fn -> accepted -- written(store) == [] end),
           "#{length(accepted -- written(store))} events answered :ok were never written: " <>
             "dropping an accepted event is silent loss. Refuse it with {:error, :overloaded} " <>
             "instead, so the caller knows"
  end

  @tag points: 3
  test "under a firehose from 10 callers the sampled mailbox stays within max_queue + callers" do
    store = store(delay_ms: 1)
    writer = start_supervised!({Writer, write: store.write, max_queue: 30})

    sampler = start_sampler(writer)
    results = writer |> firehose(10, 200) |> Task.await_many(60_000) |> List.flatten()
    largest = stop_sampler(sampler)

    assert largest <= 30 + 10,
           "10 callers recording 200 events each into a store that takes a millisecond per " <>
             "write pushed the writer's mailbox to #{largest} messages (at most 40 allowed " <>
             "with max_queue: 30). Producers that never wait outrun a slow consumer: bound " <>
             "the mailbox by refusing ({:error, :overloaded}) or by making callers wait"

    assert_answers_and_no_loss(results, store)
  end

  @tag points: 2
  test "the :max_queue option is honoured, not a hard-coded limit" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 5})

    sampler = start_sampler(writer)
    callers = firehose(writer, 3, 50)
    Process.sleep(300)
    largest = stop_sampler(sampler)
    accepted_while_stuck = accepted_so_far()
    open(store)
    results = callers |> Task.await_many(30_000) |> List.flatten()

    assert largest <= 5 + 3,
           "with max_queue: 5 and 3 callers the writer's mailbox reached #{largest} " <>
             "messages (at most 8 allowed): read the limit from the :max_queue option"

    assert accepted_while_stuck <= 5 + 3 + 1,
           "with max_queue: 5 the writer accepted #{accepted_while_stuck} events while the " <>
             "store hung (at most 9 allowed): read the limit from the :max_queue option"

    assert_answers_and_no_loss(results, store)
  end

  @tag points: 1
  test "after an overload the writer accepts events again" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 10})

    [caller] = firehose(writer, 1, 40)
    Process.sleep(300)
    open(store)
    results = Task.await(caller, 30_000)
    assert_answers_and_no_loss(results, store)

    assert Writer.record(writer, :after_the_storm) == :ok,
           "once the store caught up, record/2 must accept events again"

    assert eventually(fn -> :after_the_storm in written(store) end),
           "an event accepted after the overload was never written"
  end

  @tag points: 1
  test "the writer still writes one event at a time, in each caller's order" do
    store = store(delay_ms: 1)
    writer = start_supervised!({Writer, write: store.write, max_queue: 1_000})

    results = writer |> firehose(4, 50) |> Task.await_many(30_000) |> List.flatten()
    assert_answers_and_no_loss(results, store)

    assert :atomics.get(store.gauge, 2) == 1,
           "#{:atomics.get(store.gauge, 2)} writes ran at the same time: the store takes one " <>
             "writer at a time. Spawning a process per write empties the mailbox by moving " <>
             "the pile-up into unbounded processes"

    for caller <- 1..4 do
      mine = for {^caller, n} <- written(store), do: n
      assert mine == Enum.sort(mine), "caller #{caller}'s events were written out of order"
    end
  end
end
