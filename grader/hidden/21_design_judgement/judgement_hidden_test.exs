defmodule JudgementHiddenTest do
  # One test per question. Its name says the right answer and why, so the feedback explains every
  # question, passed or failed; its failure message says what was answered and what that misses.
  use ExUnit.Case

  defp check(question, expected, why) do
    got = Judgement.answer(question)

    assert got == expected,
           "#{question}: you answered #{inspect(got)}; the answer is #{inspect(expected)}. " <> why
  end

  @tag points: 2
  test "q1 admin tool: :other_stack (simple CRUD, no concurrency pressure, no one to run the BEAM)" do
    check(:q1, :other_stack, """
    Forms over four tables for 20 users put no concurrency or resilience pressure on anything, and \
    the team cannot support BEAM operations yet: the playbook's "prefer another backend stack" \
    case. The BEAM would be a cost here, not a strength.\
    """)
  end

  @tag points: 2
  test "q2 presence: :beam (many long-lived isolated connections, uptime, a team that runs it)" do
    check(:q2, :beam, """
    200,000 long-lived connections, each a small state machine that must fail alone, with uptime \
    as a requirement and a team that already runs BEAM services: a process per connection under \
    supervision is the natural fit, the playbook's "choose Erlang/Elixir" case.\
    """)
  end

  @tag points: 2
  test "q3 Events.Bus then Orders.Cache: :rest_for_one (the cache depends on the bus, not the reverse)" do
    check(:q3, :rest_for_one, """
    Orders.Cache subscribes to Events.Bus in init, so when the bus restarts the cache must \
    restart too (to subscribe again); a crashing cache must not take the bus down. \
    :rest_for_one restarts a child and the ones started after it; :one_for_one leaves the cache \
    subscribed to a dead bus, :one_for_all restarts the bus for nothing.\
    """)
  end

  @tag points: 2
  test "q4 one CSV import per worker: :transient (restarted after a crash, not after it finishes)" do
    check(:q4, :transient, """
    The worker stops with :normal when its import is done and must then stay stopped; a crash \
    halfway must start the import again. :transient restarts only after an abnormal exit; \
    :permanent would run the finished import again and again, :temporary would lose a crashed one.\
    """)
  end

  @tag points: 2
  test "q5 Pricing.quote/2: :plain_module (a pure function needs no process; a process would serialize callers)" do
    check(:q5, :plain_module, """
    quote/2 computes from its arguments and remembers nothing: it needs no state, no ownership and \
    no failure isolation of its own. A GenServer or an Agent would make 2,000 concurrent callers \
    queue on one mailbox for no gain. Processes model runtime concerns, not code organization.\
    """)
  end

  @tag points: 2
  test "q6 feature flags read 20k/s: :protected_ets (read-heavy shared data, one owner writes)" do
    check(:q6, :protected_ets, """
    Read-heavy shared data is what ETS is for: every request reads the table directly, on its own \
    scheduler, instead of queueing on the owner's mailbox (:owner_call). :protected keeps one \
    writer, the owner, so a flag changes in one place; :public lets any process write: hidden \
    global state.\
    """)
  end

  @tag points: 2
  test "q7 reserve stock before confirming: :call (the caller needs the answer, and waits: back-pressure)" do
    check(:q7, :call, """
    Checkout must not confirm the order unless the reservation happened, so it needs the reply, \
    and its timeout. A call also makes callers wait when Reserver falls behind (back-pressure); \
    a cast or a send returns at once, confirms unreserved orders and lets Reserver's mailbox grow \
    without bound at peak.\
    """)
  end

  @tag points: 2
  test "q8 welcome e-mail: :supervised_task (one-off work, off the request, owned by a supervisor)" do
    check(:q8, :supervised_task, """
    One-off work with nothing to remember is a task, not a long-lived server; the response must \
    not wait, so not inline. Task.Supervisor.start_child gives the task an owner, so it shows in \
    the tree and is shut down with it; a bare Task.start has no owner, and a GenServer worker \
    turns every sign-up into one mailbox to queue on.\
    """)
  end

  @tag points: 2
  test "q9 provider answered 422: :no_retry (the same request is refused again: surface it)" do
    check(:q9, :no_retry, """
    A 422 says the request itself is wrong (an invalid card number): sent again it fails the same \
    way, however long you wait. Retrying only adds load and delay; return the classified error to \
    the caller. Retry what can succeed next time: timeouts, 503s, dropped connections.\
    """)
  end

  @tag points: 2
  test "q10 charge timed out, idempotency key sent: :retry_with_backoff (safe, and may succeed next time)" do
    check(:q10, :retry_with_backoff, """
    A timeout is transient: the next attempt may succeed, and the idempotency key makes a \
    repeated charge safe (the provider charges once). Retry a bounded number of times with \
    growing delays, not at once: an immediate retry hits a provider that is already slow.\
    """)
  end

  @tag points: 2
  test "q11 one malformed queue message: :dead_letter (a crash would redeliver it and loop)" do
    check(:q11, :dead_letter, """
    The message will be malformed every time: crashing makes the queue redeliver it, the consumer \
    crashes again, and the supervisor gives up (restart intensity) with every good message stuck \
    behind it. Skipping it silently hides the producer's bug. Park it in a dead-letter queue, \
    log it, and go on.\
    """)
  end

  @tag points: 2
  test "q12 config key missing at start: :let_it_crash (a bug to surface, not a value to invent)" do
    check(:q12, :let_it_crash, """
    A deploy without the endpoint is a bug no retry or default can fix: a made-up default sends \
    traffic to the wrong place, and a logged rescue keeps a worker up that cannot work. Crash: the \
    supervisor's restarts fail too, the application stops starting, and the deploy is rolled back.\
    """)
  end
end
