defmodule IExKernel.Display do
  @moduledoc """
  Rich output in the notebook: HTML, Markdown, SVG, PNG, JSON and Mermaid diagrams.

  Each constructor returns a `%IExKernel.Display{}`. As the last value of a cell it is shown
  as the cell's result; `show/2` shows it at once, mid-cell, and with `id:` it can later be
  replaced in place by `update/2` (a live view that redraws as a cell runs).

      IExKernel.Display.markdown("**supervised** workers: 8")
      IExKernel.Display.mermaid("graph TD; Sup-->Worker")
      IExKernel.Display.html("<b>tick</b>") |> IExKernel.Display.show(id: "clock")
      IExKernel.Display.update("clock", IExKernel.Display.html("<b>tock</b>"))

  JupyterLab 4.1+ renders `text/vnd.mermaid` with no extension.
  """

  alias IExKernel.Wire

  defstruct data: %{}, metadata: %{}

  @type t :: %__MODULE__{data: %{String.t() => term}, metadata: map}

  @doc "HTML."
  def html(html), do: new("text/html", IO.iodata_to_binary(html))
  @doc "Markdown, rendered by the notebook."
  def markdown(markdown), do: new("text/markdown", IO.iodata_to_binary(markdown))
  @doc "An SVG image, from its XML source."
  def svg(svg), do: new("image/svg+xml", IO.iodata_to_binary(svg))
  @doc "A PNG image, from its raw bytes."
  def png(bytes) when is_binary(bytes), do: new("image/png", Base.encode64(bytes))
  @doc "Any JSON-like term (maps, lists, strings, numbers, booleans, nil), shown as a tree."
  def json(term), do: new("application/json", term)
  @doc "A Mermaid diagram, from its source (`graph TD; A-->B`, `sequenceDiagram ...`)."
  def mermaid(source), do: new("text/vnd.mermaid", IO.iodata_to_binary(source))

  @doc "Several representations of one thing at once, e.g. `%{\"text/html\" => ..., \"text/plain\" => ...}`."
  def bundle(%__MODULE__{data: data}), do: Map.put_new_lazy(data, "text/plain", fn -> plain(data) end)
  def bundle(%{} = data), do: bundle(%__MODULE__{data: data})

  @doc """
  Shows `display` now, in the running cell. With `id: name` it can be replaced later by
  `update/2`. Returns a value that the notebook does not print.
  """
  def show(display, opts \\ []) do
    display = to_display(display)
    send_display(display, Keyword.get(opts, :id), false)
    IEx.dont_display_result()
  end

  @doc "Replaces the output shown under `id` by `show/2` with `display`."
  def update(id, display) do
    send_display(to_display(display), id, true)
    IEx.dont_display_result()
  end

  @doc """
  Clears the running cell's output; with `wait: true` only once new output arrives, which
  redraws without flicker.
  """
  def clear(opts \\ []) do
    Wire.send_frame(%{type: "clear", wait: Keyword.get(opts, :wait, false)})
    IEx.dont_display_result()
  end

  defp send_display(%__MODULE__{} = display, id, update?) do
    Wire.send_frame(%{type: "display", data: bundle(display), metadata: display.metadata,
                      display_id: id && to_string(id), update: update?})
  end

  defp to_display(%__MODULE__{} = display), do: display
  defp to_display(%{} = data), do: %__MODULE__{data: data}

  defp new(mime, content), do: %__MODULE__{data: %{mime => content}}

  defp plain(data) do
    case Map.keys(data) do
      ["text/vnd.mermaid"] -> data["text/vnd.mermaid"]
      ["text/markdown"] -> data["text/markdown"]
      mimes -> "#IExKernel.Display<#{Enum.join(mimes, ", ")}>"
    end
  end

  defimpl Inspect do
    def inspect(%{data: data}, _opts), do: "#IExKernel.Display<#{data |> Map.keys() |> Enum.join(", ")}>"
  end
end
