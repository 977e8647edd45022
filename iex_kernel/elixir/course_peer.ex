defmodule Course.Peer do
  @moduledoc """
  A second Erlang VM on 127.0.0.1 for the lessons on distribution, started with OTP's `:peer`
  and controlled over its standard I/O, so the lesson can still reach it when the
  distribution link is cut. Its log goes to a file the notebook reads with `log_lines/2`.

  The notebook's own node must be distributed first: `IExKernel.Distribution.start/0`.
  """

  @doc """
  Starts a peer named after `label` (and this OS process, so two notebooks do not clash).
  Options: `cookie:` (default: this node's; `erl` cannot take one that starts with `-`),
  `env:` a list of `{charlist, charlist}` environment variables. Returns `%{peer: pid, node: node, log: path}`.
  """
  def start(label, opts \\ []) do
    cookie = opts |> Keyword.get(:cookie, Node.get_cookie()) |> command_line_cookie!()
    log = Path.join(System.tmp_dir!(), "#{label}#{System.pid()}.log")
    File.rm(log)
    logger = ~c"[{handler,default,logger_std_h,\#{config=>\#{file=>\"#{log}\"}}}]"
    args = [~c"-setcookie", Atom.to_charlist(cookie), ~c"-kernel", ~c"logger", logger] ++
             Enum.flat_map(:code.get_path(), &[~c"-pa", &1])

    {:ok, peer, node} =
      :peer.start_link(%{name: :"#{label}#{System.pid()}", host: ~c"127.0.0.1", longnames: true,
                         connection: :standard_io, args: args, env: Keyword.get(opts, :env, [])})

    %{peer: peer, node: node, log: log}
  end

  # erl reads `-setcookie -x` as two flags and then uses ~/.erlang.cookie: the peer would not connect.
  defp command_line_cookie!(cookie) do
    case Atom.to_string(cookie) do
      "-" <> _ -> raise ArgumentError, "a peer's cookie cannot start with \"-\" (erl reads it as a flag): #{inspect(cookie)}"
      _ -> cookie
    end
  end

  @doc "Runs `module.function(args...)` on the peer over its control channel, not over distribution."
  def call(%{peer: peer}, module, function, args), do: :peer.call(peer, module, function, args)

  @doc "The peer's log lines that contain `text`; this node's name is shown as `this-notebook@127.0.0.1`."
  def log_lines(%{peer: peer, log: log}, text) do
    :peer.call(peer, :logger_std_h, :filesync, [:default])

    log
    |> File.read!()
    |> String.split("\n")
    |> Enum.filter(&(&1 =~ text))
    |> Enum.map(&String.replace(&1, Atom.to_string(Node.self()), "this-notebook@127.0.0.1"))
  end

  @doc "Stops the peer and removes its log."
  def stop(%{peer: peer, log: log}) do
    :peer.stop(peer)
    File.rm(log)
    :ok
  end
end
