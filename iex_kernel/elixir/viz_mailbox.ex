defmodule IExKernel.Viz.Mailbox do
  @moduledoc """
  A process's mailbox length over time, sampled while a function runs, and drawn as an SVG
  line chart: unbounded casts versus back-pressure, as a picture.

  The chart is drawn by hand: it is a single polyline, and the kernel has no plotting
  library on the Elixir side to reach for.
  """

  @doc """
  Runs `fun` while sampling `pid`'s `message_queue_len` every `interval` ms (default 10).
  Returns `{result, series}` with `series` a list of `{milliseconds_since_start, length}`.
  """
  def sample(pid, fun, opts \\ []) do
    interval = Keyword.get(opts, :interval, 10)
    started = System.monotonic_time(:millisecond)
    sampler = spawn_link(fn -> loop(pid, interval, started, []) end)
    result = fun.()
    send(sampler, {:stop, self()})

    receive do
      {:series, ^sampler, series} ->
        Process.unlink(sampler)
        {result, series}
    end
  end

  defp loop(pid, interval, started, acc) do
    acc = [{System.monotonic_time(:millisecond) - started, queue_length(pid)} | acc]

    receive do
      {:stop, caller} ->
        final = {System.monotonic_time(:millisecond) - started, queue_length(pid)}
        send(caller, {:series, self(), Enum.reverse([final | acc])})
    after
      interval -> loop(pid, interval, started, acc)
    end
  end

  defp queue_length(pid) do
    case Process.info(pid, :message_queue_len) do
      {:message_queue_len, length} -> length
      nil -> 0
    end
  end

  @doc "An SVG line chart of `series` (`{ms, length}` points); `title` goes on top."
  def to_svg(series, title \\ "mailbox length") do
    {width, height, pad} = {560, 220, 40}
    max_t = series |> Enum.map(&elem(&1, 0)) |> Enum.max(fn -> 1 end) |> max(1)
    max_len = series |> Enum.map(&elem(&1, 1)) |> Enum.max(fn -> 1 end) |> max(1)
    x = fn t -> pad + t / max_t * (width - 2 * pad) end
    y = fn len -> height - pad - len / max_len * (height - 2 * pad) end

    points = Enum.map_join(series, " ", fn {t, len} -> "#{round1(x.(t))},#{round1(y.(len))}" end)

    """
    <svg xmlns="http://www.w3.org/2000/svg" width="#{width}" height="#{height}" font-family="sans-serif" font-size="11">
      <text x="#{pad}" y="18" font-size="13" font-weight="bold">#{xml_escape(title)}</text>
      <line x1="#{pad}" y1="#{height - pad}" x2="#{width - pad}" y2="#{height - pad}" stroke="#888"/>
      <line x1="#{pad}" y1="#{pad}" x2="#{pad}" y2="#{height - pad}" stroke="#888"/>
      <text x="#{pad - 6}" y="#{pad + 4}" text-anchor="end">#{max_len}</text>
      <text x="#{pad - 6}" y="#{height - pad}" text-anchor="end">0</text>
      <text x="#{width - pad}" y="#{height - pad + 16}" text-anchor="end">#{max_t} ms</text>
      <polyline fill="none" stroke="#4e2a8e" stroke-width="2" points="#{points}"/>
    </svg>
    """
  end

  defp xml_escape(text), do: text |> String.replace("&", "&amp;") |> String.replace("<", "&lt;") |> String.replace(">", "&gt;")

  defp round1(value), do: Float.round(value / 1, 1)
end
