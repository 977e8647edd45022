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
    # The first dependency that does not answer is the culprit: report it.
    first_down = fn deps -> Enum.find_value(deps, fn {dep, name} -> if !responsive?(name, timeout), do: dep end) end

    cond do
      dep = first_down.(@critical) -> {:error, [dep]}
      dep = first_down.(@optional) -> {:degraded, [dep]}
      true -> :ok
    end
  end

  # Registered is not the same as answering: ask, and give up after `timeout`.
  defp responsive?(name, timeout) do
    GenServer.call(name, :ping, timeout) == :pong
  catch
    :exit, _reason -> false
  end
end
