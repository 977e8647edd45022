"""A learner's session in JupyterLab, in a real browser: run Elixir, see it highlighted,
interrupt a runaway cell, open the course and an exercise and get graded."""

import re

from playwright.sync_api import expect

from .conftest import Notebook, write_notebook


def test_elixir_runs_and_keywords_are_highlighted(page, lab, lab_root):
    path = write_notebook(lab_root, "scratch/hello.ipynb",
                          ['defmodule Greeter do\n  def hello(name), do: "hi #{name}"\nend\nGreeter.hello("lab")'])
    notebook = Notebook(page, lab, path)
    notebook.run_cell(0)
    expect(notebook.cells().nth(0).locator(".jp-OutputArea")).to_contain_text('"hi lab"', timeout=60_000)

    keyword = notebook.cells().nth(0).locator(".cm-line span", has_text=re.compile(r"^defmodule$")).first
    assert keyword.get_attribute("class"), "`defmodule` is not wrapped in a highlighting class"
    keyword_color = page.evaluate(
        "() => { const probe = document.createElement('span');"
        " probe.style.color = 'var(--jp-mirror-editor-keyword-color)'; document.body.appendChild(probe);"
        " const color = getComputedStyle(probe).color; probe.remove(); return color; }")
    assert keyword.evaluate("e => getComputedStyle(e).color") == keyword_color
    notebook.screenshot("highlighted_cell")


def test_interrupt_button_stops_a_sleeping_cell_and_work_goes_on(page, lab, lab_root):
    path = write_notebook(lab_root, "scratch/interrupt.ipynb",
                          ["kept = 41", 'IO.puts("sleeping")\nProcess.sleep(:infinity)', "kept + 1"])
    notebook = Notebook(page, lab, path)
    notebook.run_cell(0)
    notebook.wait_idle()
    notebook.run_cell(1)
    expect(notebook.cells().nth(1).locator(".jp-OutputArea")).to_contain_text("sleeping", timeout=60_000)
    notebook.screenshot("interrupt_before")
    page.locator(".jp-NotebookPanel-toolbar [data-command='notebook:interrupt-kernel']").click()
    expect(notebook.cells().nth(1).locator(".jp-OutputArea")).to_contain_text("Interrupted", timeout=30_000)
    notebook.wait_idle()
    notebook.run_cell(2)
    expect(notebook.cells().nth(2).locator(".jp-OutputArea")).to_contain_text("42", timeout=60_000)
    notebook.screenshot("interrupt_after")
