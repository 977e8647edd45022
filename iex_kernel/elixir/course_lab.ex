defmodule Course.Lab do
  @moduledoc """
  The small tools the lessons share to watch OTP do its work: wait for something to happen,
  see which processes a supervisor replaced, empty a mailbox, keep expected crash reports
  quiet. The kernel loads this module in every session, so a notebook calls it instead of
  defining its own copy.

  Waiting polls a condition rather than sleeping a fixed time: a supervisor restarts a child
  a moment after the crash, later still on a loaded machine, and a fixed sleep is either
  slow or wrong.

      iex> {:ok, sup} = Supervisor.start_link([{Agent, fn -> 0 end}], strategy: :one_for_one)
      iex> Course.Lab.kill(sup, Agent)
      [Agent]
  """

  @doc """
  Polls `fun` every 5 ms until it returns a truthy value, and returns `:ok`; raises if it
  has not after `timeout` ms (default 5000). An exit while polling (a call to a process
  that is restarting) counts as "not yet".

      iex> Course.Lab.wait_until(fn -> true end)
      :ok
  """
  def wait_until(fun, timeout \\ 5_000) do
    deadline = System.monotonic_time(:millisecond) + timeout
    poll(fun, deadline, timeout)
  end

  defp poll(fun, deadline, timeout) do
    cond do
      holds?(fun) -> :ok
      System.monotonic_time(:millisecond) > deadline -> raise "condition not reached within #{timeout} ms"
      true -> Process.sleep(5); poll(fun, deadline, timeout)
    end
  end

  defp holds?(fun) do
    fun.()
  catch
    :exit, _ -> false
  end

  @doc "The children of `sup` as `%{id => pid}` (children not running are left out)."
  def children(sup) do
    for {id, pid, _, _} <- Supervisor.which_children(sup), is_pid(pid), into: %{}, do: {id, pid}
  end

  @doc "Every process under `sup`, nested supervisors included, keyed by its path of child ids."
  def pids(sup, path \\ []) do
    for {id, pid, type, _} <- Supervisor.which_children(sup), is_pid(pid), reduce: %{} do
      acc ->
        acc = Map.put(acc, path ++ [id], pid)
        if type == :supervisor, do: Map.merge(acc, pids(pid, path ++ [id])), else: acc
    end
  end

  @doc "The keys whose process in `now` is not the one in `before` (replaced or gone)."
  def changed(before, now), do: for({key, pid} <- before, Map.get(now, key) != pid, do: key)

  @doc """
  Kills the child of `sup` at `id` with an untrappable `:kill`, waits until the supervisor has
  replaced it, and returns what it restarted: child ids, or with a list `id`, paths of child
  ids through nested supervisors (see `pids/2`).
  """
  def kill(sup, path) when is_list(path), do: kill_and_compare(sup, path, &pids/1)
  def kill(sup, id), do: kill_and_compare(sup, id, &children/1)

  defp kill_and_compare(sup, key, snapshot) do
    before = snapshot.(sup)
    victim = Map.fetch!(before, key)
    Process.exit(victim, :kill)
    wait_until(fn -> Map.get(snapshot.(sup), key) not in [nil, victim] end)
    changed(before, snapshot.(sup))
  end

  @doc "Removes every message waiting in this process's mailbox and returns them, oldest first."
  def drain(acc \\ []) do
    receive do
      message -> drain([message | acc])
    after
      0 -> Enum.reverse(acc)
    end
  end

  @doc "Runs `fun` with the log captured instead of printed (expected crash reports); returns `fun`'s result."
  def quietly(fun) do
    {:ok, _} = Application.ensure_all_started(:ex_unit)
    {result, _log} = ExUnit.CaptureLog.with_log(fun)
    result
  end
end
