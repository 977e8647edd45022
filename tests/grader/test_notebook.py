"""The `%mix_test` check cell, driven through a fake MagicContext (no kernel needed)."""

from __future__ import annotations

import nbformat
import pytest

from grader import engine, exercise, notebook, report
from iex_kernel.magics import ExecutedCell, MagicContext, MagicError

from .conftest import EXERCISE_ID


def ran(*sources, ok=True) -> list[ExecutedCell]:
    """Cells as the kernel records them: In [1], In [2], ... (modules from a scan of the code)."""
    return [ExecutedCell(n, code, ok) for n, code in enumerate(sources, start=1)]


class Cell:
    """Collects what the magic sends to the cell: displays by id, as the notebook keeps them."""

    def __init__(self):
        self.sent, self.streams = [], []  # (display_id, update, bundle)

    def context(self, args, history):
        return MagicContext(
            name="mix_test",
            args=args,
            body="",
            history=history,
            display=lambda bundle, display_id=None, update=False: self.sent.append((display_id, update, dict(bundle))),
            stream=self.streams.append,
        )

    @property
    def displays(self) -> list[dict]:
        """What the notebook shows at the end: each display id once, with its last bundle."""
        shown: dict = {}
        for display_id, _update, bundle in self.sent:
            shown[display_id] = bundle
        return list(shown.values())


@pytest.fixture
def cell(warm, workdir):
    return Cell()


def test_grades_the_latest_cell_that_defines_the_starter_modules(cell, solution, starter, monkeypatch):
    monkeypatch.delenv(notebook.AUTOGRADE_ENV, raising=False)
    history = ran("x = 1", starter, "IO.puts(:between)", solution, "Billing.Charger.charge(nil, %{})")
    result = notebook.mix_test(cell.context([EXERCISE_ID], history))
    visible = engine.max_score(exercise.load(EXERCISE_ID), include_hidden=False)
    assert result.data["text/plain"] == f"{visible:g}"  # the visible tests' points, all passed
    [shown] = cell.displays
    html = shown["text/html"]
    assert "✓" in html and "✗" not in html and "(hidden)" not in html
    assert "Graded cell In [4] (Billing.Charger), as it was when you ran it" in shown["text/plain"]
    assert cell.streams == []


def test_the_score_says_what_it_covers(cell, solution, monkeypatch):
    monkeypatch.delenv(notebook.AUTOGRADE_ENV, raising=False)
    notebook.mix_test(cell.context([EXERCISE_ID], ran(solution)))
    ex = exercise.load(EXERCISE_ID)
    visible, total = int(engine.max_score(ex, include_hidden=False)), int(engine.max_score(ex))
    assert (f"{visible}/{visible} from the visible tests. The other {total - visible} points come from hidden tests "
            "when your instructor grades." in cell.displays[0]["text/plain"])


def test_progress_shows_at_once_and_the_report_replaces_it(cell, solution, monkeypatch):
    monkeypatch.delenv(notebook.AUTOGRADE_ENV, raising=False)
    notebook.mix_test(cell.context([EXERCISE_ID], ran(solution)))
    ids = {display_id for display_id, _, _ in cell.sent}
    assert len(ids) == 1, "one display, updated in place"
    first, *updates = cell.sent
    assert first[1] is False and all(update for _, update, _ in updates)
    lines = [bundle["text/plain"] for _, _, bundle in cell.sent]
    assert lines[0].startswith(f"Grading cell In [1] (Billing.Charger) with the visible tests of {EXERCISE_ID}")
    assert any("compiling your code" in line for line in lines)
    assert any("running 4 tests" in line and "now “" in line for line in lines)
    assert any("4 done, ✓ 4 ✗ 0" in line for line in lines)
    assert report.GRADE_MIME in cell.displays[0], "the end state is the report, with the grade as data"


def test_a_cell_that_is_rerun_with_an_error_is_the_one_graded(cell, solution, monkeypatch):
    monkeypatch.delenv(notebook.AUTOGRADE_ENV, raising=False)
    broken = "defmodule Billing.Charger do\n  def charge(p, o), do: nope(p, o)\nend\n"
    history = ran(solution) + [ExecutedCell(2, broken, False, ("Billing.Charger",))]
    result = notebook.mix_test(cell.context([EXERCISE_ID], history))
    assert result.data["text/plain"] == "0"
    text = cell.displays[0]["text/plain"]
    assert "Graded cell In [2]" in text and "ended with an error in the notebook too" in text


def test_a_fix_that_deletes_a_secondary_starter_module_is_still_found():
    """Exercise 01's hint says to delete Accounts.Core: the cell defining Accounts.Server is graded."""
    fix = ExecutedCell(3, "...", True, ("Accounts.Users", "Accounts.Server"))
    later = ExecutedCell(4, "...", True, ("Accounts.Core",))
    assert notebook.find_submission([fix, later], ("Accounts.Server", "Accounts.Core")) is fix
    assert notebook.find_submission([later], ("Accounts.Server", "Accounts.Core")) is later


def test_modules_of_a_cell_that_did_not_parse_come_from_a_scan():
    cell = ExecutedCell(2, "defmodule Billing.Charger, do: (\n", False, ())
    assert notebook.find_submission([cell], ("Billing.Charger",)) is cell


def test_partial_credit_is_a_bare_number(cell, starter, monkeypatch):
    monkeypatch.delenv(notebook.AUTOGRADE_ENV, raising=False)
    result = notebook.mix_test(cell.context([EXERCISE_ID], ran(starter)))
    assert float(result.data["text/plain"]) == 1
    assert "✗" in cell.displays[0]["text/html"]


def test_autograde_runs_the_hidden_tests_too(cell, solution, monkeypatch):
    monkeypatch.setenv(notebook.AUTOGRADE_ENV, "1")
    result = notebook.mix_test(cell.context([EXERCISE_ID], ran(solution)))
    assert result.data["text/plain"] == "11"
    assert "(hidden)" in cell.displays[0]["text/html"]


def test_a_compile_error_scores_zero_and_points_at_the_cell(cell, monkeypatch):
    monkeypatch.delenv(notebook.AUTOGRADE_ENV, raising=False)
    broken = "defmodule Billing.Charger do\n  def charge(p, o), do: nope(p, o)\nend\n"
    result = notebook.mix_test(cell.context([EXERCISE_ID], ran(broken)))
    assert result.data["text/plain"] == "0"
    assert "your cell:2" in cell.displays[0]["text/plain"]


@pytest.mark.parametrize(
    "args, history, expected",
    [
        ([], [], "Usage"),
        (["no_such_exercise"], [], "unknown exercise"),
        ([EXERCISE_ID], ran("x = 1", "defmodule Other do\nend"), "Run the cell with your fix first"),
    ],
)
def test_learner_fixable_problems_are_magic_errors(cell, args, history, expected):
    with pytest.raises(MagicError, match=expected):
        notebook.mix_test(cell.context(args, history))
    assert cell.displays == [] and cell.streams == []


def test_the_magic_is_registered_for_the_kernel():
    from iex_kernel import magics

    assert magics.find("mix_test") is notebook.mix_test


def solution(source: str, cell_id: str = "sol-1"):
    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id
    cell.metadata["nbgrader"] = {"solution": True, "grade_id": "pitfall"}
    return cell


def test_under_autograde_the_solution_cell_is_graded_as_submitted():
    fix = solution("defmodule Billing.Charger do\nend")
    later = ExecutedCell(4, "defmodule Billing.Charger do\n  def x, do: 1\nend", True, ("Billing.Charger",))
    chosen, notes = notebook.choose_submission([later], ("Billing.Charger",), fix, submitted=True)
    assert chosen.code == fix.source and chosen.count == 0 and notes == []


def test_in_the_lab_the_solution_cell_is_graded_as_last_run_and_a_fix_elsewhere_is_pointed_out():
    fix = solution("defmodule Billing.Charger do\nend")
    runs = [ExecutedCell(2, "old", True, ("Billing.Charger",), "sol-1"), ExecutedCell(3, "new", True, ("Billing.Charger",), "sol-1"),
            ExecutedCell(5, "elsewhere", True, ("Billing.Charger",), "other")]
    chosen, notes = notebook.choose_submission(runs, ("Billing.Charger",), fix, submitted=False)
    assert chosen.code == "new"
    assert notes == ["Your cell In [5] defines Billing.Charger too, but this check grades the exercise's own cell, "
                     "In [3]: put your fix there."]


def test_in_the_lab_an_unrun_solution_cell_is_a_clear_error():
    with pytest.raises(MagicError, match="Run the exercise's cell"):
        notebook.choose_submission([ExecutedCell(1, "x = 1", True, (), "other")], ("Billing.Charger",),
                                   solution("..."), submitted=False)


def test_the_check_cells_notebook_is_found_by_its_check_cell(tmp_path, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%mix_test 99_other")])
    mine = nbformat.v4.new_notebook(cells=[solution("defmodule A do\nend"), nbformat.v4.new_code_cell(f"%mix_test {EXERCISE_ID}")])
    nbformat.write(other, tmp_path / "a.ipynb")
    nbformat.write(mine, tmp_path / "b.ipynb")
    (tmp_path / "c.ipynb").write_text("not json")
    assert notebook.find_notebook(EXERCISE_ID, tmp_path) == tmp_path / "b.ipynb"
    assert notebook.solution_cell(tmp_path / "b.ipynb").source == "defmodule A do\nend"
    monkeypatch.setenv("JPY_SESSION_NAME", "exercises/x/a.ipynb")
    assert notebook.find_notebook(EXERCISE_ID, tmp_path) is None, "Jupyter named another notebook"
