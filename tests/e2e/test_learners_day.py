"""A learner's day in `make lab`, in a real browser: restarts that always leave a working
notebook, a check cell that talks and can be stopped, a workspace without the instructor's
tools, quizzes that survive reopening, input boxes and labels that behave."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from grader import engine, exercise

from .conftest import ARTIFACTS, Notebook, write_notebook

RESTARTS = 4
HANGS = '''defmodule Billing.Charger do
  def charge(_provider, _order) do
    Process.sleep(:infinity)
  end
end'''


def test_restart_always_leaves_a_working_notebook(page, lab, lab_root):
    path = write_notebook(lab_root, "scratch/restart.ipynb", ["x = 20 + 1", "x * 2"])
    notebook = Notebook(page, lab, path)
    for attempt in range(RESTARTS + 1):
        started = time.monotonic()
        notebook.run_cell_to_end(0)
        notebook.run_cell(1)
        expect(notebook.cells().nth(1).locator(".jp-OutputArea-output")).to_have_text("42", timeout=30_000)
        assert time.monotonic() - started < 30, f"after restart {attempt} the cells took too long"
        if attempt < RESTARTS:
            notebook.restart_kernel()
    notebook.screenshot("after_restarts")


def test_the_check_cell_shows_progress_then_what_it_graded(page, lab):
    notebook = Notebook(page, lab, "exercises/03_classify_failures/03_classify_failures.ipynb")
    notebook.set_cell_source("pitfall", exercise.load("03_classify_failures").solution_path.read_text())
    pitfall, check = notebook.cell_index("pitfall"), notebook.cell_index("check")
    notebook.run_cell_to_end(notebook.cell_index("setup"))
    count = notebook.run_cell_to_end(pitfall)
    notebook.run_cell(check)
    output = notebook.cells().nth(check).locator(".jp-OutputArea")
    expect(output).to_contain_text(f"Grading cell In [{count}] (Billing.Charger)", timeout=30_000)
    ex = exercise.load("03_classify_failures")
    visible, total = int(engine.max_score(ex, include_hidden=False)), int(engine.max_score(ex))
    expect(output).to_contain_text(f"pass, score {visible}/{visible}", timeout=120_000)
    expect(output).to_contain_text(f"Graded cell In [{count}] (Billing.Charger), as it was when you ran it")
    expect(output).to_contain_text(f"The other {total - visible} points come from hidden tests when your instructor grades.")
    assert output.locator(".otp-grade tbody pre").count() == 0, "passing tests show no empty message boxes"
    output.scroll_into_view_if_needed()
    notebook.screenshot("check_cell_report")


def test_stop_during_a_check_ends_it_as_not_graded(page, lab):
    notebook = Notebook(page, lab, "exercises/03_classify_failures/03_classify_failures.ipynb")
    notebook.set_cell_source("pitfall", HANGS)
    notebook.run_cell_to_end(notebook.cell_index("pitfall"))
    check = notebook.cell_index("check")
    notebook.run_cell(check)
    output = notebook.cells().nth(check).locator(".jp-OutputArea")
    expect(output).to_contain_text("now “", timeout=60_000)
    notebook.interrupt()
    expect(output).to_contain_text("nothing was graded", timeout=20_000)
    notebook.wait_idle(timeout=20_000)
    prompt = notebook.cells().nth(check).locator(".jp-InputPrompt")
    expect(prompt).not_to_contain_text("*")
    notebook.screenshot("check_cell_stopped")


def test_the_learners_lab_has_no_instructor_tools_and_no_answers(page, lab):
    Notebook(page, lab, "course/00_start_here.ipynb")
    plugins = ["@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:menu"]
    assert page.evaluate("ids => ids.map(id => window.jupyterapp.hasPlugin(id))", plugins) == [False] * 3
    listing = page.locator(".jp-DirListing-content .jp-DirListing-itemName")
    page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:go-to-path', {path: '/'})")
    expect(listing.first).to_be_visible(timeout=30_000)
    time.sleep(1)
    names = sorted(listing.all_inner_texts())
    assert names == ["course", "exercises", "scratch"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{lab['base']}/formgrader?token={lab['token']}", timeout=10)
    assert refused.value.code == 404


def test_a_reopened_notebook_shows_its_quiz_without_running_it(page, lab):
    Notebook(page, lab, "course/01_operate.ipynb")
    quiz = page.locator(".jp-NotebookPanel:visible .otp-quiz").first
    quiz.scroll_into_view_if_needed()
    expect(quiz).to_be_visible(timeout=30_000)
    expect(quiz.locator("code").first).to_be_visible()
    choices = quiz.locator("details")
    for index in range(choices.count()):
        choices.nth(index).locator("summary").click()
    feedback = [choices.nth(index).inner_text() for index in range(choices.count())]
    assert any("✓ Right." in text for text in feedback) and any("✗ Not quite." in text for text in feedback)
    quiz.screenshot(path=str(ARTIFACTS / "quiz.png"))


def test_an_interrupted_input_box_goes_away(page, lab, lab_root):
    path = write_notebook(lab_root, "scratch/input.ipynb", ['IO.gets("your name? ")', ":after"])
    notebook = Notebook(page, lab, path)
    notebook.run_cell(0)
    box = page.locator(".jp-NotebookPanel:visible .jp-Stdin-input")
    expect(box).to_be_visible(timeout=30_000)
    notebook.interrupt()
    expect(notebook.cells().nth(0).locator(".jp-OutputArea")).to_contain_text("Interrupted", timeout=20_000)
    expect(box).to_have_count(0, timeout=10_000)
    notebook.run_cell(1)
    expect(notebook.cells().nth(1).locator(".jp-OutputArea")).to_contain_text(":after", timeout=30_000)


def test_interact_labels_are_not_cut_off(page, lab, lab_root):
    path = write_notebook(lab_root, "scratch/interact.ipynb", ["%interact max_concurrency=1..16=4\nmax_concurrency * 2"])
    notebook = Notebook(page, lab, path)
    notebook.run_cell(0)
    label = page.locator(".jp-NotebookPanel:visible .widget-label", has_text="max_concurrency").first
    expect(label).to_be_visible(timeout=30_000)
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth"), "the label is cut off"
    notebook.screenshot("interact_label")


_TEXT_COLORS = """cell => {
  const probe = document.createElement('span');
  probe.style.color = 'var(--jp-content-font-color1)';
  document.body.appendChild(probe);
  const plain = getComputedStyle(probe).color;
  probe.remove();
  const lines = [...cell.querySelectorAll('.cm-content .cm-line')].slice(1);
  const colors = lines.flatMap(line => [...line.querySelectorAll('span')].map(s => getComputedStyle(s).color));
  return {plain, colors};
}"""


def test_a_magic_cell_is_not_highlighted_as_elixir(page, lab, lab_root):
    quiz = "%quiz\n? Which one's right?\n+ `:one_for_one`\n- the other's"
    path = write_notebook(lab_root, "scratch/magic_editor.ipynb", [quiz, "x = 'it'\ny = 'is'"])
    notebook = Notebook(page, lab, path)
    magic = notebook.cells().nth(0).element_handle().evaluate(_TEXT_COLORS)
    elixir = notebook.cells().nth(1).element_handle().evaluate(_TEXT_COLORS)
    assert any(color != elixir["plain"] for color in elixir["colors"]), "an Elixir charlist is coloured"
    assert magic["colors"] and all(color == magic["plain"] for color in magic["colors"]), \
        "the quiz's apostrophe started an Elixir string"
    notebook.screenshot("magic_cell_editor")
