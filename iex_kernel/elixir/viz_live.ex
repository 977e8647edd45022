defmodule IExKernel.Viz.Live do
  @moduledoc """
  What the VM is doing while a cell runs: process count, memory, run queue and the longest
  mailboxes, redrawn in place every `interval` milliseconds.

  A sampler process renders into one display (`IExKernel.Display.show/2` with an id) and
  updates it until the function under watch returns; the last frame stays in the notebook.
  """

  alias IExKernel.Display

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

  @doc "Runs `fun` while showing live vital signs; returns `fun`'s result."
  def run(fun, opts \\ []) do
    interval = Keyword.get(opts, :interval, 200)
    top = Keyword.get(opts, :top, 5)
    id = "live-#{System.unique_integer([:positive])}"
    Display.show(to_html(snapshot(top), "starting"), id: id)
    sampler = spawn_link(fn -> sample(id, interval, top) end)

    try do
      fun.()
    after
      Process.unlink(sampler)
      Process.exit(sampler, :kill)
      Display.update(id, to_html(snapshot(top), "finished"))
    end
  end

  defp sample(id, interval, top) do
    Process.sleep(interval)
    Display.update(id, to_html(snapshot(top), "running"))
    sample(id, interval, top)
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
