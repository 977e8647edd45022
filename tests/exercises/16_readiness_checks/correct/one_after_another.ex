defmodule Shop.Health do
  @moduledoc """
  The shop node's health endpoints. Readiness checks the dependencies one after another, each
  with its own short timeout (three dependencies cost at most three timeouts), and treats a
  dependency with a long backlog as not ready even if it still answers.
  """

  @critical [Shop.Repo, Shop.Cache]
  @optional [Shop.Mailer]
  @names %{Shop.Repo => :repo, Shop.Cache => :cache, Shop.Mailer => :mailer}
  @max_backlog 1_000

  def liveness do
    pid = Process.whereis(Shop.Supervisor)
    if pid && Process.alive?(pid), do: :ok, else: {:error, :supervision_tree_down}
  end

  def readiness(timeout \\ 100) do
    down = fn names -> names |> Enum.reject(&serving?(&1, timeout)) |> Enum.map(&@names[&1]) |> Enum.sort() end

    with {:critical, []} <- {:critical, down.(@critical)},
         {:optional, []} <- {:optional, down.(@optional)} do
      :ok
    else
      {:critical, names} -> {:error, names}
      {:optional, names} -> {:degraded, names}
    end
  end

  defp serving?(name, timeout) do
    with pid when is_pid(pid) <- Process.whereis(name),
         {:message_queue_len, backlog} when backlog < @max_backlog <- Process.info(pid, :message_queue_len) do
      try do
        GenServer.call(pid, :ping, timeout) == :pong
      catch
        :exit, _ -> false
      end
    else
      _ -> false
    end
  end
end
