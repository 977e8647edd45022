defmodule Cluster.Transport do
  @moduledoc """
  The remote call `Cluster.Ops` makes by default: `Cluster.Stats.snapshot/0` on another node.

  It behaves like `:erpc.call/5`: it returns the snapshot, or raises `ErlangError` with
  `{:erpc, :noconnection}` (the node is down, unreachable, or refuses our cookie),
  `{:erpc, :timeout}` (no answer within `timeout` ms) or, when the remote function failed,
  `{:exception, reason, stacktrace}`. Older call sites use `:rpc.call/5`, which never raises and
  answers `{:badrpc, reason}` instead (`{:badrpc, :nodedown}`, `{:badrpc, :timeout}`,
  `{:badrpc, {:EXIT, reason}}`): an injected `:remote` function may answer either way.
  """

  def stats(node, timeout) when is_atom(node) do
    :erpc.call(node, Cluster.Stats, :snapshot, [], timeout)
  end
end
