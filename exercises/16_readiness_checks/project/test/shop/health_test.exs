defmodule Shop.HealthTest do
  use ExUnit.Case

  alias Shop.Health

  # The generous bound a readiness check must answer within: the default GenServer.call
  # timeout is 5_000 ms, the check's own timeout here is 50 ms.
  @bound_ms 1_000

  defmodule Dependency do
    # A stand-in for the repo, the cache and the mailer: answers pings while it can serve.
    use GenServer
    def start_link(name), do: GenServer.start_link(__MODULE__, nil, name: name)
    def init(nil), do: {:ok, nil}
    def handle_call(:ping, _from, state), do: {:reply, :pong, state}
  end

  setup do
    # The shop's supervision tree: the top-level supervisor and its three dependencies.
    children =
      for {id, name} <- [repo: Shop.Repo, cache: Shop.Cache, mailer: Shop.Mailer],
          do: Supervisor.child_spec({Dependency, name}, id: id)

    start_supervised!(%{
      id: Shop.Supervisor,
      type: :supervisor,
      start: {Supervisor, :start_link, [children, [strategy: :one_for_one, name: Shop.Supervisor]]}
    })

    :ok
  end

  # Runs readiness/1 and returns {answer, milliseconds it took}.
  defp timed(fun) do
    started = System.monotonic_time(:millisecond)
    answer = fun.()
    {answer, System.monotonic_time(:millisecond) - started}
  end

  @tag points: 1
  test "a healthy shop is live and ready" do
    assert Health.liveness() == :ok
    assert Health.readiness(50) == :ok
  end

  @tag points: 4
  test "a stuck repo makes the shop not ready, and readiness answers within its timeout instead of hanging" do
    # The repo process is registered and alive, but it handles no request: stuck on a lock.
    :sys.suspend(Shop.Repo)
    {answer, ms} = timed(fn -> Health.readiness(50) end)

    assert answer == {:error, [:repo]},
           "the repo answers no request, yet readiness(50) said #{inspect(answer)}: a registered " <>
             "process is not a working one. Ping it (GenServer.call(Shop.Repo, :ping, timeout)) " <>
             "and count no answer in time as not ready"

    assert ms < @bound_ms,
           "readiness(50) took #{ms} ms with the repo stuck: the load balancer's probe gives up " <>
             "long before that. Bound every ping by the timeout, not GenServer.call's 5 s default"
  end

  @tag points: 2
  test "a repo that is gone makes the shop not ready: {:error, [:repo]}" do
    :ok = Supervisor.terminate_child(Shop.Supervisor, :repo)
    answer = Health.readiness(50)

    assert answer == {:error, [:repo]},
           "Shop.Repo is not running, yet readiness(50) said #{inspect(answer)}: name the " <>
             "critical dependencies that fail, {:error, [:repo]}"
  end

  @tag points: 2
  test "liveness stays :ok while the repo is stuck or gone: restarting the node would not fix the repo" do
    :sys.suspend(Shop.Repo)
    {answer, ms} = timed(&Health.liveness/0)

    assert answer == :ok,
           "liveness said #{inspect(answer)} with the repo stuck: the orchestrator would restart " <>
             "every node because of one slow database. Liveness must not depend on dependencies"

    assert ms < @bound_ms, "liveness took #{ms} ms with the repo stuck: it must not ping dependencies"

    :ok = Supervisor.terminate_child(Shop.Supervisor, :repo)
    assert Health.liveness() == :ok, "liveness must stay :ok with the repo gone, too"
  end

  @tag points: 2
  test "a mailer that is down does not make the shop unready: {:degraded, [:mailer]}" do
    :ok = Supervisor.terminate_child(Shop.Supervisor, :mailer)
    answer = Health.readiness(50)

    assert answer == {:degraded, [:mailer]},
           "only the mailer is down, and receipts can wait: the shop still takes orders, so " <>
             "readiness must answer {:degraded, [:mailer]} (ready, and saying what is missing), " <>
             "not #{inspect(answer)}"
  end
end
