"""A learner's session in JupyterLab, in a real browser: run Elixir, see it highlighted,
interrupt a runaway cell, open the course and an exercise and get graded."""

import re
from urllib.parse import unquote

import nbformat
from playwright.sync_api import expect

from grader import engine, exercise

from .conftest import ARTIFACTS, REPO, Notebook, write_notebook


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
    notebook.run_cell_to_end(0)
    notebook.run_cell(1)
    expect(notebook.cells().nth(1).locator(".jp-OutputArea")).to_contain_text("sleeping", timeout=60_000)
    notebook.screenshot("interrupt_before")
    page.locator(".jp-NotebookPanel-toolbar [data-command='notebook:interrupt-kernel']").click()
    expect(notebook.cells().nth(1).locator(".jp-OutputArea")).to_contain_text("Interrupted", timeout=30_000)
    notebook.wait_idle()
    notebook.run_cell(2)
    expect(notebook.cells().nth(2).locator(".jp-OutputArea")).to_contain_text("42", timeout=60_000)
    notebook.screenshot("interrupt_after")


def answer_the_your_turn_cells(notebook: Notebook, course_notebook: str) -> None:
    """What a learner does before Run All goes past the check cells: writes the answers (here,
    the repository's copy of each your-turn cell; the workspace's copy has them taken out)."""
    source = nbformat.read(REPO / course_notebook, as_version=4)
    for cell in source.cells:
        marks = cell.metadata.get("nbgrader", {})
        if marks.get("solution"):
            notebook.set_cell_source(marks["grade_id"], cell.source)


def test_start_here_runs_top_to_bottom_once_its_your_turn_cell_is_answered(page, lab):
    notebook = Notebook(page, lab, "course/00_start_here.ipynb")
    answer_the_your_turn_cells(notebook, "course/00_start_here.ipynb")
    notebook.run_all()
    outputs = page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output")
    expect(outputs.filter(has_text="Hello from").first).to_be_visible()
    errors = page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0
    notebook.screenshot("start_here")


def test_supervision_tree_is_drawn_as_svg(page, lab):
    notebook = Notebook(page, lab, "course/00_start_here.ipynb")
    answer_the_your_turn_cells(notebook, "course/00_start_here.ipynb")
    notebook.run_all()
    tree_cell = notebook.cells().filter(has_text="IExKernel.Viz.tree(").last
    tree_cell.scroll_into_view_if_needed()
    # JupyterLab renders Mermaid to SVG and shows it as an <img> with an SVG data URL.
    diagram = tree_cell.locator(".jp-RenderedMermaid img[src^='data:image/svg+xml']").first
    expect(diagram).to_be_visible(timeout=60_000)
    svg = unquote(diagram.get_attribute("src").split(",", 1)[1])
    assert "<svg" in svg and "Demo.Supervisor" in svg
    tree_cell.screenshot(path=str(ARTIFACTS / "supervision_tree.png"))


def test_a_mailbox_chart_is_drawn_by_jupyterlab_from_vega_lite(page, lab, lab_root):
    path = write_notebook(lab_root, "scratch/chart.ipynb", [
        "{:ok, slow} = Agent.start(fn -> 0 end)\n"
        "IExKernel.Viz.mailbox(slow, fn ->\n"
        "  for _ <- 1..200, do: Agent.cast(slow, fn s -> Process.sleep(1); s + 1 end)\n"
        "  Agent.get(slow, & &1, 30_000)\n"
        "end, title: \"flooded agent\")\n:charted"])
    notebook = Notebook(page, lab, path)
    notebook.run_cell_to_end(0)
    output = notebook.cells().nth(0).locator(".jp-OutputArea")
    chart = output.locator(".jp-RenderedVegaCommon5")
    expect(chart).to_be_visible(timeout=60_000)
    expect(chart.locator("svg, canvas").first).to_be_visible(timeout=30_000)
    assert output.locator(".jp-RenderedSVG").count() == 0, "the SVG is the fallback, not shown beside the chart"
    chart.screenshot(path=str(ARTIFACTS / "mailbox_chart.png"))


def test_exercise_fixed_with_the_reference_passes_every_test(page, lab):
    notebook = Notebook(page, lab, "exercises/03_classify_failures/03_classify_failures.ipynb")
    notebook.set_cell_source("pitfall", (REPO / "solutions/03_classify_failures/charger.ex").read_text())
    notebook.run_all()
    grade = page.locator(".jp-NotebookPanel:visible .otp-grade")
    visible = int(engine.max_score(exercise.load("03_classify_failures"), include_hidden=False))
    expect(grade).to_contain_text(f"pass, score {visible}/{visible}", timeout=120_000)
    assert "✗" not in grade.inner_text()
    grade.scroll_into_view_if_needed()
    notebook.screenshot("exercise_passes")
