defmodule Shop.Health do
  @moduledoc """
  The shop node's health endpoints: `GET /livez` answers `liveness/0` (the orchestrator restarts
  the node when it fails) and `GET /readyz` answers `readiness/1` (the load balancer stops routing
  to the node while it fails).

  The dependencies are registered processes under the shop's top-level supervisor,
  `Shop.Supervisor`: `Shop.Repo` and `Shop.Cache` are critical (no order can be taken without
  them), `Shop.Mailer` is not (receipts wait in its queue). Each one answers
  `GenServer.call(name, :ping)` with `:pong` when it is able to serve requests.
  """

  @critical [cache: Shop.Cache, repo: Shop.Repo]
  @optional [mailer: Shop.Mailer]

  @doc "`:ok` while the node can run; `{:error, :supervision_tree_down}` otherwise."
  # No dependency here: restarting the node does not fix a stuck repo, it only adds an outage.
  def liveness do
    if Process.whereis(Shop.Supervisor), do: :ok, else: {:error, :supervision_tree_down}
  end

  @doc """
  `:ok` when every dependency answers a ping within `timeout` ms, `{:degraded, names}` when only
  optional ones do not, `{:error, names}` (sorted) when critical ones do not.
  """
  def readiness(timeout \\ 100) do
    deps = @critical ++ @optional

    failing =
      deps
      |> Enum.map(fn {dep, name} -> {dep, responsive?(name, timeout)} end)
      |> Enum.flat_map(fn
        {_dep, true} -> []
        {dep, false} -> [dep]
      end)

    critical = Enum.sort(for dep <- failing, Keyword.has_key?(@critical, dep), do: dep)

    cond do
      critical != [] -> {:error, critical}
      failing != [] -> {:degraded, Enum.sort(failing)}
      true -> :ok
    end
  end

  # Registered is not the same as answering: ask, and give up after `timeout`.
  defp responsive?(name, timeout) do
    GenServer.call(name, :ping, timeout) == :pong
  end
end
