"""The `%mix_test` check cell, driven through a fake MagicContext (no kernel needed)."""

from __future__ import annotations

import pytest

from grader import notebook
from iex_kernel.magics import MagicContext, MagicError

from .conftest import EXERCISE_ID


class Cell:
    """Collects what the magic sends to the cell."""

    def __init__(self):
        self.displays, self.streams = [], []

    def context(self, args, history):
        return MagicContext(
            name="mix_test",
            args=args,
            body="",
            history=history,
            display=self.displays.append,
            stream=self.streams.append,
        )


@pytest.fixture
def cell(warm, workdir):
    return Cell()


def test_grades_the_latest_cell_that_defines_the_starter_modules(cell, solution, starter, monkeypatch):
    monkeypatch.delenv(notebook.AUTOGRADE_ENV, raising=False)
    history = ["x = 1", starter, "IO.puts(:between)", solution, "Billing.Charger.charge(nil, %{})"]
    result = notebook.mix_test(cell.context([EXERCISE_ID], history))
    assert result.data["text/plain"] == "7"  # the visible tests' points, all passed
    html = cell.displays[0]["text/html"]
    assert "✓" in html and "✗" not in html and "(hidden)" not in html
    assert cell.streams == []


def test_partial_credit_is_a_bare_number(cell, starter, monkeypatch):
    monkeypatch.delenv(notebook.AUTOGRADE_ENV, raising=False)
    result = notebook.mix_test(cell.context([EXERCISE_ID], [starter]))
    assert float(result.data["text/plain"]) == 1
    assert "✗" in cell.displays[0]["text/html"]


def test_autograde_runs_the_hidden_tests_too(cell, solution, monkeypatch):
    monkeypatch.setenv(notebook.AUTOGRADE_ENV, "1")
    result = notebook.mix_test(cell.context([EXERCISE_ID], [solution]))
    assert result.data["text/plain"] == "11"
    assert "(hidden)" in cell.displays[0]["text/html"]


def test_a_compile_error_scores_zero_and_points_at_the_cell(cell, monkeypatch):
    monkeypatch.delenv(notebook.AUTOGRADE_ENV, raising=False)
    broken = "defmodule Billing.Charger do\n  def charge(p, o), do: nope(p, o)\nend\n"
    result = notebook.mix_test(cell.context([EXERCISE_ID], [broken]))
    assert result.data["text/plain"] == "0"
    assert "your cell:2" in cell.displays[0]["text/plain"]


@pytest.mark.parametrize(
    "args, history, expected",
    [
        ([], [], "Usage"),
        (["no_such_exercise"], [], "unknown exercise"),
        ([EXERCISE_ID], ["x = 1", "defmodule Other do\nend"], "Run the cell with your fix first"),
    ],
)
def test_learner_fixable_problems_are_magic_errors(cell, args, history, expected):
    with pytest.raises(MagicError, match=expected):
        notebook.mix_test(cell.context(args, history))
    assert cell.displays == [] and cell.streams == []


def test_the_magic_is_registered_for_the_kernel():
    from iex_kernel import magics

    assert magics.find("mix_test") is notebook.mix_test
