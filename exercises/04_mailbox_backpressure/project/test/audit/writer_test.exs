defmodule Audit.WriterTest do
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

    write = fn event ->
      wait_for_gate(gate)
      if delay > 0, do: Process.sleep(delay)
      :ets.insert(table, {:atomics.add_get(sequence, 1, 1), event})
      :ok
    end

    %{write: write, gate: gate, table: table}
  end

  defp wait_for_gate(gate) do
    if :atomics.get(gate, 1) == 0 do
      Process.sleep(2)
      wait_for_gate(gate)
    end
  end

  defp open(store), do: :atomics.put(store.gate, 1, 1)
  defp written(store), do: store.table |> :ets.tab2list() |> Enum.map(&elem(&1, 1))

  # `callers` processes, each recording `count` events {caller, n} as fast as it can.
  # Each tells the test every answer as it gets it, and returns [{event, answer}]. A caller
  # whose call timed out exits, as a request would: it records nothing more.
  defp firehose(writer, callers, count) do
    test = self()

    for caller <- 1..callers do
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

  @tag points: 1
  test "under light load every event is accepted with :ok and written, in order; :name and :write work as before" do
    store = store(delay_ms: 1)
    # Registered under the module's name, as in production: record/1 finds it there.
    start_supervised!({Writer, name: Writer, write: store.write, max_queue: 50})
    events = for n <- 1..20, do: {:login, n}

    for event <- events do
      answer =
        try do
          Writer.record(event)
        catch
          :exit, reason -> {:exit, reason}
        end

      assert answer == :ok,
             "record/1 answered #{inspect(answer, limit: 5)} for #{inspect(event)} under light " <>
               if(match?({:exit, {:noproc, _}}, answer),
                 do: "load: no writer is registered under Audit.Writer, the name it was " <>
                   "started with. start_link/1 must still register the writer under its :name",
                 else: "load (expected :ok)"
               )
    end

    assert eventually(fn -> written(store) == events end),
           "expected the 20 events to be written once each, in order; the store has " <>
             "#{inspect(written(store))}"

    # Started without :write, the writer writes to Audit.Store, as before.
    spec = Supervisor.child_spec({Writer, max_queue: 5}, id: :default_store)

    case start_supervised(spec) do
      {:ok, writer} ->
        assert Writer.record(writer, {:login, 21}) == :ok

      {:error, reason} ->
        flunk(
          "a writer started without :write did not start (#{inspect(reason, limit: 5)}): " <>
            ":write is optional, its default is &Audit.Store.write/1, as before"
        )
    end
  end

  @tag points: 4
  test "a stuck store does not make the writer's mailbox grow: callers are shed or made to wait" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 20})

    sampler = start_sampler(writer)
    # The store hangs for half a second (or until the callers are done) while 5 callers
    # record 100 events each.
    held = writer |> firehose(5, 100) |> hold(500)
    largest = stop_sampler(sampler)
    open(store)
    results = finish(held)

    assert largest <= 20 + 5,
           "the writer's mailbox reached #{largest} messages with max_queue: 20 and 5 callers " <>
             "(at most 25 allowed). A cast never waits and is never refused: while the store " <>
             "is slow the mailbox grows until the node runs out of memory. Refuse events when " <>
             "the writer is behind ({:error, :overloaded}) or make callers wait (a call)"

    assert_answers_and_no_loss(results, store)
  end

  @tag points: 2
  test "while the store is stuck the writer takes in at most max_queue events: no backlog hides in its state or in other processes" do
    store = store(open: false)
    writer = start_supervised!({Writer, write: store.write, max_queue: 20})

    held = writer |> firehose(5, 100) |> hold(500)
    accepted_while_stuck = accepted_so_far()
    open(store)
    results = finish(held)

    assert accepted_while_stuck <= 20 + 5 + 1,
           "while the store hung, the writer accepted #{accepted_while_stuck} events with " <>
             "max_queue: 20 (at most 26 allowed): the backlog moved out of the mailbox into " <>
             "something else (a queue in the state, a process per write) that still grows " <>
             "without limit. Count what waits for the store, wherever it waits"

    assert_answers_and_no_loss(results, store)
  end

  @tag points: 2
  test "no silent loss under a firehose: every event answered :ok is written" do
    store = store(open: false, delay_ms: 1)
    writer = start_supervised!({Writer, write: store.write, max_queue: 50})

    # The store stalls for the first 300 ms, then takes a millisecond per write.
    held = writer |> firehose(8, 100) |> hold(300)
    open(store)
    results = finish(held)

    assert_answers_and_no_loss(results, store)
  end
end
