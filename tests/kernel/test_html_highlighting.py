"""Notebooks rendered to HTML (nbconvert, and so nbgrader's feedback) highlight Elixir, through
the `pygments_lexer` the kernel reports."""

import nbformat
from nbconvert import HTMLExporter


def test_elixir_cells_are_highlighted_in_html(kernel):
    language_info = kernel.ask("kernel_info")["language_info"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('defmodule Shop do\n  def total(items), do: Enum.sum(items)\nend')])
    notebook.metadata["language_info"] = language_info
    body, _ = HTMLExporter().from_notebook_node(notebook)
    assert '<span class="kd">defmodule</span>' in body
    assert '<span class="k">do</span>' in body
