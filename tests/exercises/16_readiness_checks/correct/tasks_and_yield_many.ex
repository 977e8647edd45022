defmodule Shop.Health do
  @moduledoc """
  The shop node's health endpoints. Readiness pings every dependency in its own task and waits
  for all of them together with `Task.yield_many/2`: whoever has not answered by the deadline
  is counted as failing and its task is killed.
  """

  @deps %{repo: {Shop.Repo, :critical}, cache: {Shop.Cache, :critical}, mailer: {Shop.Mailer, :optional}}

  def liveness do
    case Process.whereis(Shop.Supervisor) do
      pid when is_pid(pid) -> :ok
      nil -> {:error, :supervision_tree_down}
    end
  end

  def readiness(timeout \\ 100) do
    tasks =
      for {dep, {name, kind}} <- @deps do
        {dep, kind, Task.async(fn -> ping(name, timeout) end)}
      end

    answers = Task.yield_many(Enum.map(tasks, &elem(&1, 2)), timeout)

    failing =
      for {{dep, kind, task}, {task, answer}} <- Enum.zip(tasks, answers), answer != {:ok, :pong} do
        if answer == nil, do: Task.shutdown(task, :brutal_kill)
        {dep, kind}
      end

    case {for({dep, :critical} <- failing, do: dep), for({dep, _} <- failing, do: dep)} do
      {[], []} -> :ok
      {[], optional} -> {:degraded, Enum.sort(optional)}
      {critical, _} -> {:error, Enum.sort(critical)}
    end
  end

  # Runs in the task: a dependency that is gone answers :down instead of crashing the caller.
  defp ping(name, timeout) do
    GenServer.call(name, :ping, timeout)
  catch
    :exit, _ -> :down
  end
end
