defmodule IExKernel.Viz.Live do
  @moduledoc """
  What the VM is doing while a cell runs: process count, memory, run queue and the longest
  mailboxes, redrawn in place every `interval` milliseconds.

  A sampler process renders into one display (`IExKernel.Display.show/2` with an id) and
  updates it until the function under watch returns; the last frame stays in the notebook,
  with a chart of the run queue and the process count over the run below it.
  """

  alias IExKernel.Display
  alias IExKernel.Viz.Chart

  @doc "The VM's vital signs right now; `top` longest mailboxes."
  def snapshot(top \\ 5) do
    mailboxes =
      Process.list()
      |> Enum.flat_map(fn pid ->
        case Process.info(pid, [:message_queue_len, :registered_name]) do
          [message_queue_len: len, registered_name: name] -> [{len, name_of(pid, name)}]
          nil -> []
        end
      end)
      |> Enum.sort_by(fn {len, _} -> -len end)
      |> Enum.take(top)

    %{
      processes: :erlang.system_info(:process_count),
      memory_mb: Float.round(:erlang.memory(:total) / 1_048_576, 1),
      run_queue: :erlang.statistics(:total_run_queue_lengths),
      mailboxes: Enum.map(mailboxes, fn {len, name} -> %{process: name, length: len} end)
    }
  end

  defp name_of(_pid, name) when is_atom(name) and name != [], do: inspect(name)
  defp name_of(pid, _), do: inspect(pid)

  @doc """
  Runs `fun` while showing live vital signs; returns `fun`'s result. When `fun` returns, a
  chart of the run queue and the process count over the run is shown under the panel.
  """
  def run(fun, opts \\ []) do
    interval = Keyword.get(opts, :interval, 200)
    top = Keyword.get(opts, :top, 5)
    id = "live-#{System.unique_integer([:positive])}"
    started = System.monotonic_time(:millisecond)
    Display.show(to_html(snapshot(top), "starting"), id: id)
    sampler = spawn_link(fn -> sample(id, interval, top, started, []) end)

    try do
      fun.()
    after
      history = stop(sampler)
      final = snapshot(top)
      Display.update(id, to_html(final, "finished"))
      Display.show(chart(history ++ [point(final, started)]))
    end
  end

  defp sample(id, interval, top, started, history) do
    receive do
      {:stop, caller} -> send(caller, {:history, self(), Enum.reverse(history)})
    after
      interval ->
        now = snapshot(top)
        Display.update(id, to_html(now, "running"))
        sample(id, interval, top, started, [point(now, started) | history])
    end
  end

  defp stop(sampler) do
    send(sampler, {:stop, self()})

    receive do
      {:history, ^sampler, history} ->
        Process.unlink(sampler)
        history
    end
  end

  defp point(snapshot, started), do: {System.monotonic_time(:millisecond) - started, snapshot}

  @doc "The run queue and the process count over `history` (`{ms, snapshot}` pairs), as a chart bundle."
  def chart(history) do
    run_queue = for {ms, snapshot} <- history, do: {ms, snapshot.run_queue}
    processes = for {ms, snapshot} <- history, do: {ms, snapshot.processes}
    Chart.bundle([{"run queue", run_queue}, {"processes", processes}],
      "VM over #{length(history)} samples: run queue peak #{Chart.peak(run_queue)}, processes peak #{Chart.peak(processes)}")
  end

  @doc "The snapshot as a small HTML panel."
  def to_html(snapshot, status) do
    rows =
      Enum.map_join(snapshot.mailboxes, "", fn %{process: process, length: length} ->
        "<tr><td><code>#{html_escape(process)}</code></td><td style=\"text-align:right\">#{length}</td></tr>"
      end)

    Display.html("""
    <div style="font-family:monospace;font-size:12px">
    <b>VM (#{status})</b> · processes <b>#{snapshot.processes}</b> · memory <b>#{snapshot.memory_mb} MB</b> · run queue <b>#{snapshot.run_queue}</b>
    <table><tr><th style="text-align:left">longest mailboxes</th><th>messages</th></tr>#{rows}</table>
    </div>
    """)
  end

  defp html_escape(text), do: text |> String.replace("&", "&amp;") |> String.replace("<", "&lt;") |> String.replace(">", "&gt;")
end
