defmodule Shop.Health do
  @moduledoc "Health endpoints: every dependency is pinged, one after another."

  @critical [cache: Shop.Cache, repo: Shop.Repo]
  @optional [mailer: Shop.Mailer]

  def liveness do
    if Process.whereis(Shop.Supervisor), do: :ok, else: {:error, :supervision_tree_down}
  end

  def readiness(_timeout \\ 100) do
    down = fn deps -> for {dep, name} <- deps, not responsive?(name), do: dep end

    case {Enum.sort(down.(@critical)), Enum.sort(down.(@optional))} do
      {[], []} -> :ok
      {[], optional} -> {:degraded, optional}
      {critical, _} -> {:error, critical}
    end
  end

  defp responsive?(name) do
    GenServer.call(name, :ping) == :pong
  catch
    :exit, _ -> false
  end
end
