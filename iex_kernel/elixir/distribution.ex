defmodule IExKernel.Distribution do
  @moduledoc """
  Turns the notebook's VM into a distributed node, only when a cell asks for it.

  The node listens on 127.0.0.1 only (the VM is started with `inet_dist_use_interface`
  set to loopback), epmd is started bound to loopback, and the cookie is random: no other
  machine can reach it, and no cookie file is read or written.
  """

  @doc """
  Starts distribution as `name@127.0.0.1` (a random name by default) and returns the node.
  Already distributed: returns the current node.
  """
  def start(name \\ nil) do
    if Node.alive?() do
      {:ok, Node.self()}
    else
      ensure_epmd()
      name = name || "notebook#{System.pid()}"

      with {:ok, _pid} <- Node.start(:"#{name}@127.0.0.1", :longnames) do
        Node.set_cookie(random_cookie())
        {:ok, Node.self()}
      end
    end
  end

  @doc """
  A fresh random cookie, e.g. for a `:peer` node that must (or must not) connect.

  Lower-case hex: it can go on an `erl` command line as it is (`erl` reads a cookie that starts
  with `-` as another flag, and then falls back to `~/.erlang.cookie`).
  """
  def random_cookie, do: :crypto.strong_rand_bytes(18) |> Base.encode16(case: :lower) |> String.to_atom()

  defp ensure_epmd do
    case :erl_epmd.names(~c"127.0.0.1") do
      {:ok, _} ->
        :ok

      _ ->
        epmd = System.find_executable("epmd") || raise "epmd is not installed (Debian: apt-get install erlang-base)"
        {_, 0} = System.cmd(epmd, ["-daemon", "-address", "127.0.0.1"])
        wait_for_epmd(50)
    end
  end

  defp wait_for_epmd(0), do: raise("epmd did not start on 127.0.0.1")

  defp wait_for_epmd(tries) do
    case :erl_epmd.names(~c"127.0.0.1") do
      {:ok, _} -> :ok
      _ ->
        Process.sleep(20)
        wait_for_epmd(tries - 1)
    end
  end
end
