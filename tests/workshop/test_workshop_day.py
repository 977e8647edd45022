"""A workshop day on the hub, in a real browser: two learners and an instructor.

The learners sign up at the hub's login page, fetch the assignment from nbgrader's Assignments
panel, one fixes the exercise (and sees the check cell pass), both submit; the instructor
collects and grades with the parallel autograde and releases feedback from their terminal, then
sees the grades in the formgrader; the learner fetches the feedback and reads the score."""

from __future__ import annotations

import re
import sys

import pytest
from playwright.sync_api import expect

from grader import engine, exercise
from grader.course import open_gradebook
from tests.e2e.conftest import Notebook

from .conftest import ARTIFACTS, ASSIGNMENT, EXERCISE, INSTRUCTOR, INSTRUCTOR_CODE, LEARNER_CODE, PASSWORDS

pytestmark = pytest.mark.e2e
NOTEBOOK = f"{ASSIGNMENT}/{EXERCISE}.ipynb"


def sign_up(browser, hub, name: str, code: str):
    """A new browser (no shared cookies) at the login page: name, own password, sign-up code."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORDS[name])
    page.fill("#otp_input", code)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf".*/user/{name}/lab.*"), timeout=180_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=120_000)
    return page


def assignments_panel(page):
    """nbgrader's Assignments panel (its plugin registers the command once the lab has loaded it)."""
    page.wait_for_function("() => window.jupyterapp.commands.hasCommand('nbgrader:open-assignment-list')",
                           timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-assignment-list')")
    return page.locator("#nbgrader-assignment-list:visible, .nbgrader-assignment-list:visible").first


def loaded(panel):
    """The panel once its lists have loaded (a click on a button of a list being redrawn is lost)."""
    for name in ("released", "fetched", "submitted"):
        expect(panel.locator(f"#{name}_assignments_list_loading")).to_be_hidden(timeout=60_000)
    return panel


def fetch(page):
    panel = loaded(assignments_panel(page))
    row = panel.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
    row.get_by_role("button", name="Fetch").click(timeout=60_000)
    expect(panel.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT)).to_be_visible(timeout=60_000)


def submit(page):
    panel = loaded(assignments_panel(page))
    panel.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).get_by_role(
        "button", name="Submit").click(timeout=60_000)
    expect(panel.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)).to_be_visible(timeout=60_000)


def screenshot(page, name: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture
def pictures(browser):
    """Every open page as it was when the test ended, in test-artifacts/workshop/; then closed."""
    yield
    for c, context in enumerate(browser.contexts):
        for p, page in enumerate(context.pages):
            screenshot(page, f"end_{c}_{p}")
        context.close()


def test_a_workshop_day_release_fetch_fix_submit_collect_autograde_feedback(hub, browser, pictures):
    ex = exercise.load(EXERCISE)
    total, visible = engine.max_score(ex), engine.max_score(ex, include_hidden=False)
    python = sys.executable
    hub.instructor(python, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force")
    hub.instructor(python, "-m", "nbgrader", "release_assignment", ASSIGNMENT)

    ada = sign_up(browser, hub, "ada", LEARNER_CODE)
    fetch(ada)
    notebook = Notebook(ada, None, NOTEBOOK, base=f"{hub.url}/user/ada")
    notebook.set_cell_source("pitfall", ex.solution_path.read_text())
    notebook.run_cell_to_end(notebook.cell_index("setup"))
    notebook.run_cell_to_end(notebook.cell_index("pitfall"))
    check = notebook.cell_index("check")
    notebook.run_cell_to_end(check, timeout=240_000)
    # The check cell grades in ada's own server, as ada, with the visible tests.
    expect(notebook.cells().nth(check).locator(".jp-OutputArea")).to_contain_text(
        f"pass, score {visible:g}/{visible:g}", timeout=10_000)
    notebook.command("docmanager:save")
    ada.wait_for_timeout(1000)
    screenshot(ada, "ada_fixed")
    submit(ada)

    bob = sign_up(browser, hub, "bob", LEARNER_CODE)
    fetch(bob)
    submit(bob)

    hub.instructor(python, "-m", "nbgrader", "collect", ASSIGNMENT)
    graded = hub.instructor(python, "-m", "grader", "autograde", ASSIGNMENT, "--jobs", "2")
    assert "2 of 2 submissions graded" in graded.stdout, graded.stdout
    with open_gradebook(hub.root / "course") as gradebook:
        scores = {sub.student.id: sub.score for sub in gradebook.assignment_submissions(ASSIGNMENT)}
    assert scores["ada"] == total and scores["bob"] < total / 2, scores
    hub.instructor(python, "-m", "nbgrader", "generate_feedback", ASSIGNMENT)
    hub.instructor(python, "-m", "nbgrader", "release_feedback", ASSIGNMENT)

    grace = sign_up(browser, hub, INSTRUCTOR, INSTRUCTOR_CODE)
    grace.goto(f"{hub.url}/user/{INSTRUCTOR}/formgrader/manage_students")
    rows = grace.locator("table tbody tr")
    expect(rows.filter(has_text="ada")).to_contain_text(f"{total:g} / {total:g}", timeout=60_000)
    expect(rows.filter(has_text="bob")).to_contain_text(f"{scores['bob']:g} / {total:g}")
    screenshot(grace, "formgrader_students")

    panel = loaded(assignments_panel(ada))
    panel.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).get_by_role(
        "button", name="Fetch Feedback").first.click(timeout=60_000)
    expect(panel.get_by_text("(view feedback)")).to_be_visible(timeout=60_000)
    feedback = sorted(hub.home("ada").glob(f"{ASSIGNMENT}/feedback/*/{EXERCISE}.html"))
    assert feedback, "no feedback reached ada's home"
    relative = feedback[-1].relative_to(hub.home("ada"))
    ada.goto(f"{hub.url}/user/ada/files/{relative}")
    expect(ada.locator("body")).to_contain_text(f"Score: {total:.1f} / {total:.1f}", timeout=30_000)
    assert "@tag hidden" not in ada.content() and "test/hidden" not in ada.content()
    screenshot(ada, "ada_feedback")
