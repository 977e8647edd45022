defmodule IExKernel.Viz.Chart do
  @moduledoc """
  Line charts of samples over time as one display bundle: a Vega-Lite spec that JupyterLab
  draws itself (with tooltips), and an SVG of the same chart for exported HTML and feedback
  files, which draw no Vega-Lite. A notebook shows the best of the two it can.

  A chart is a list of panels stacked top to bottom, each `{title, points}` or
  `{title, y_axis_title, points}`, with `points` a list of `{milliseconds_since_start, value}`. The SVG is drawn by hand: it is a few
  polylines, and the kernel has no plotting library on the Elixir side to reach for.

      iex> spec = IExKernel.Viz.Chart.vega_lite([{"mailbox", [{0, 0}, {10, 4}]}])
      iex> {spec["mark"]["type"], spec["data"]["values"]}
      {"line", [%{"ms" => 0, "value" => 0}, %{"ms" => 10, "value" => 4}]}
  """

  @vega_lite_mime "application/vnd.vegalite.v5+json"
  @schema "https://vega.github.io/schema/vega-lite/v5.json"
  @width 560
  @panel_height 200
  @pad 40

  @doc "The chart as a MIME bundle; `summary` is its `text/plain`."
  def bundle(panels, summary) do
    %{@vega_lite_mime => vega_lite(panels), "image/svg+xml" => svg(panels), "text/plain" => summary}
  end

  @doc """
  The highest value of `points`, 0 for none.

      iex> IExKernel.Viz.Chart.peak([{0, 3}, {10, 7}, {20, 0}])
      7
  """
  def peak(points), do: points |> Enum.map(&elem(&1, 1)) |> Enum.max(fn -> 0 end)

  @doc "The Vega-Lite spec: one line chart, or a vertical stack of them."
  def vega_lite([panel]), do: Map.put(panel_spec(panel), "$schema", @schema)
  def vega_lite(panels), do: %{"$schema" => @schema, "vconcat" => Enum.map(panels, &panel_spec/1)}

  defp panel_spec({title, points}), do: panel_spec({title, title, points})

  defp panel_spec({title, y_title, points}) do
    %{
      "title" => title,
      "width" => @width - 2 * @pad,
      "height" => @panel_height - 2 * @pad,
      "data" => %{"values" => Enum.map(points, fn {ms, value} -> %{"ms" => ms, "value" => value} end)},
      "mark" => %{"type" => "line", "interpolate" => "step-after", "tooltip" => true},
      "encoding" => %{
        "x" => %{"field" => "ms", "type" => "quantitative", "title" => "ms since start"},
        "y" => %{"field" => "value", "type" => "quantitative", "title" => y_title}
      }
    }
  end

  @doc "The same chart as SVG source."
  def svg(panels) do
    height = @panel_height * length(panels)

    body =
      panels
      |> Enum.with_index()
      |> Enum.map_join("\n", fn {panel, index} -> svg_panel(panel, index * @panel_height) end)

    """
    <svg xmlns="http://www.w3.org/2000/svg" width="#{@width}" height="#{height}" font-family="sans-serif" font-size="11">
    #{body}
    </svg>
    """
  end

  defp svg_panel({title, _y_title, points}, top), do: svg_panel({title, points}, top)

  defp svg_panel({title, points}, top) do
    {width, height, pad} = {@width, @panel_height, @pad}
    max_t = points |> Enum.map(&elem(&1, 0)) |> Enum.max(fn -> 1 end) |> max(1)
    max_value = max(peak(points), 1)
    x = fn t -> pad + t / max_t * (width - 2 * pad) end
    y = fn value -> top + height - pad - value / max_value * (height - 2 * pad) end
    polyline = Enum.map_join(points, " ", fn {t, value} -> "#{round1(x.(t))},#{round1(y.(value))}" end)

    """
      <text x="#{pad}" y="#{top + 18}" font-size="13" font-weight="bold">#{xml_escape(title)}</text>
      <line x1="#{pad}" y1="#{top + height - pad}" x2="#{width - pad}" y2="#{top + height - pad}" stroke="#888"/>
      <line x1="#{pad}" y1="#{top + pad}" x2="#{pad}" y2="#{top + height - pad}" stroke="#888"/>
      <text x="#{pad - 6}" y="#{top + pad + 4}" text-anchor="end">#{max_value}</text>
      <text x="#{pad - 6}" y="#{top + height - pad}" text-anchor="end">0</text>
      <text x="#{width - pad}" y="#{top + height - pad + 16}" text-anchor="end">#{max_t} ms</text>
      <polyline fill="none" stroke="#4e2a8e" stroke-width="2" points="#{polyline}"/>\
    """
  end

  defp xml_escape(text), do: text |> String.replace("&", "&amp;") |> String.replace("<", "&lt;") |> String.replace(">", "&gt;")

  defp round1(value), do: Float.round(value / 1, 1)
end
