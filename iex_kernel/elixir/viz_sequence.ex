defmodule IExKernel.Viz.Sequence do
  @moduledoc """
  The messages a function causes between processes, as a Mermaid sequence diagram.

  Uses `:seq_trace`: the calling process gets a trace token, every message it sends carries
  the token on, and the receivers' own sends are traced in turn, so a `GenServer.call` shows
  up as the call and its reply. Processes the traced code merely spawns are not followed
  until a traced message reaches them.
  """

  alias IExKernel.Viz.Tree

  @doc """
  Runs `fun` with sequential tracing on; returns `{result, events}` where each event is
  `{from, to, message}` in send order.
  """
  def trace(fun, opts \\ []) do
    settle = Keyword.get(opts, :settle_ms, 50)
    label = make_ref()
    collector = spawn(fn -> collect(label, []) end)
    previous = :seq_trace.set_system_tracer(collector)

    try do
      :seq_trace.set_token(:label, label)
      :seq_trace.set_token(:send, true)
      result = fun.()
      :seq_trace.set_token([])
      {result, events(collector, settle)}
    after
      :seq_trace.set_token([])
      :seq_trace.set_system_tracer(previous || false)
    end
  end

  defp collect(label, acc) do
    receive do
      {:seq_trace, ^label, {:send, serial, from, to, message}} ->
        collect(label, [{serial, from, to, message} | acc])

      {:seq_trace, ^label, {:send, serial, from, to, message}, _timestamp} ->
        collect(label, [{serial, from, to, message} | acc])

      {:events, caller} ->
        send(caller, {:events, self(), acc |> Enum.sort() |> Enum.map(fn {_serial, f, t, m} -> {f, t, m} end)})

      _other ->
        collect(label, acc)
    end
  end

  # Trace messages arrive asynchronously: wait until none has come for `settle` ms.
  defp events(collector, settle, last_count \\ -1, rounds \\ 40) do
    Process.sleep(settle)
    {:messages, queued} = Process.info(collector, :messages)

    if length(queued) == last_count or rounds == 0 do
      send(collector, {:events, self()})

      receive do
        {:events, ^collector, events} -> events
      after
        5_000 -> []
      end
    else
      events(collector, settle, length(queued), rounds - 1)
    end
  end

  @doc """
  Mermaid source for `events`. `names` maps pids to participant names; otherwise a
  registered name, `caller` for the tracing process, or the pid is used.
  """
  def to_mermaid(events, names \\ %{}) do
    events = resolve_aliases(events)
    participants = events |> Enum.flat_map(fn {from, to, _} -> [from, to] end) |> Enum.uniq()
    name = fn pid -> Map.get(names, pid) || participant_name(pid) end

    lines =
      ["sequenceDiagram"] ++
        Enum.map(participants, &"  participant #{alias_id(&1)} as #{Tree.escape(name.(&1))}") ++
        Enum.map(events, fn {from, to, message} ->
          arrow = if reply?(message), do: "-->>", else: "->>"
          "  #{alias_id(from)}#{arrow}#{alias_id(to)}: #{Tree.escape(describe(message))}"
        end)

    Enum.join(lines, "\n")
  end

  # Since OTP 24 a GenServer replies to an alias (a reference) of the caller, not to its pid:
  # the call message names the caller, so replies are drawn back to it.
  defp resolve_aliases(events) do
    callers =
      for {_from, _to, {:"$gen_call", {pid, tag}, _request}} <- events, ref = alias_ref(tag), into: %{},
          do: {ref, pid}

    Enum.map(events, fn {from, to, message} -> {from, Map.get(callers, to, to), message} end)
  end

  defp alias_ref([:alias | ref]) when is_reference(ref), do: ref
  defp alias_ref(ref) when is_reference(ref), do: ref
  defp alias_ref(_), do: nil

  defp participant_name(pid) when is_pid(pid) do
    case Process.info(pid, :registered_name) do
      {:registered_name, name} when is_atom(name) -> inspect(name)
      _ -> if pid == self(), do: "caller", else: Tree.pid_text(pid)
    end
  end

  defp participant_name(other), do: inspect(other)

  defp alias_id(pid) when is_pid(pid), do: "p" <> String.replace(Tree.pid_text(pid), ".", "_")
  defp alias_id(name), do: "n" <> Integer.to_string(:erlang.phash2(name))

  defp reply?({ref, _reply}) when is_reference(ref), do: true
  defp reply?({[:alias | ref], _reply}) when is_reference(ref), do: true
  defp reply?(_), do: false

  @doc "A short, readable form of a message: GenServer calls, casts and replies unwrapped."
  def describe({:"$gen_call", _from, request}), do: "call " <> short(request)
  def describe({:"$gen_cast", request}), do: "cast " <> short(request)
  def describe({ref, reply}) when is_reference(ref), do: "reply " <> short(reply)
  def describe({[:alias | ref], reply}) when is_reference(ref), do: "reply " <> short(reply)
  def describe(message), do: short(message)

  defp short(term) do
    text =
      inspect(term, limit: 6, printable_limit: 40, width: :infinity)
      |> String.replace(~r/#Function<[^>]*>/, "fn")
      |> String.replace(";", ",")
    if String.length(text) > 60, do: String.slice(text, 0, 57) <> "...", else: text
  end
end
