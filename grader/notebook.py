"""The kernel-side check cell: ``%mix_test EXERCISE_ID``.

It grades the learner's most recent cell that defines the starter's main module (the first
``defmodule`` of the starter file; failing that, any of its modules), as the kernel ran it.
While the run goes on, one display shows what is graded and how far the run is; at the end
the same display becomes the report, which says which cell was graded and what the score
covers. The score is the cell's result, so nbgrader's partial credit reads it.

It runs the visible tests unless the notebook is being autograded (``OTP_GRADER_AUTOGRADE=1``,
set by the course's ``nbgrader_config.py``), when the hidden tests run too, and only in the
sandbox: without bubblewrap nothing is graded. It never writes
to stderr: nbgrader zeroes a graded cell that does.
"""

from __future__ import annotations

import os
import secrets
from typing import Sequence

from iex_kernel.magics import ExecutedCell, MagicContext, MagicError, MagicResult

from . import engine, report
from .exercise import ExerciseError, defined_modules, load
from .results import number, points
from .toolchain import ToolchainError

AUTOGRADE_ENV = "OTP_GRADER_AUTOGRADE"


def autograding() -> bool:
    return os.environ.get(AUTOGRADE_ENV, "").lower() in ("1", "true", "yes")


def mix_test(ctx: MagicContext) -> MagicResult:
    if len(ctx.args) != 1:
        raise MagicError("Usage: %mix_test EXERCISE_ID (for example %mix_test 03_classify_failures)")
    try:
        exercise = load(ctx.args[0])
    except ExerciseError as exc:
        raise MagicError(str(exc)) from None
    cell = find_submission(ctx.history, exercise.starter_modules)
    if cell is None:
        raise MagicError(
            f"Run the cell with your fix first (the cell that defines {exercise.starter_modules[0]}), "
            "then run this check again."
        )
    hidden = autograding()
    what = graded_cell(cell, exercise.starter_modules)
    display_id = "mix-test-" + secrets.token_hex(6)
    header = f"Grading {what} with the {'visible and hidden' if hidden else 'visible'} tests of {exercise.id}"

    shown = False

    def show(bundle: dict) -> None:
        nonlocal shown
        ctx.display(bundle, display_id=display_id, update=shown)
        shown = True

    try:
        grade = engine.grade(exercise, cell.code, include_hidden=hidden, source_label="your cell", require_sandbox=hidden,
                             progress=lambda progress: show(report.progress_bundle(header, progress)))
    except (engine.SubmissionError, engine.SandboxUnavailable, ToolchainError) as exc:
        show(report.stopped_bundle(header, str(exc)))
        raise MagicError(str(exc)) from None
    except KeyboardInterrupt:
        show(report.stopped_bundle(header, "Stopped before it finished: nothing was graded."))
        raise
    if hidden:
        notes = [f"Graded {what}."]
    else:
        notes = [f"Graded {what}, as it was when you ran it. Changed it since? Run it, then run this check again."]
    if not cell.ok:
        notes.append("That cell ended with an error in the notebook too: fix it there first.")
    notes.append(score_meaning(grade.score, grade.max_score, engine.max_score(exercise), hidden))
    show(report.bundle(grade, notes))
    return MagicResult(data={"text/plain": str(number(grade.score))})


def find_submission(history: Sequence[ExecutedCell], modules: Sequence[str]) -> ExecutedCell | None:
    """The most recent cell that defines the starter's main module, else any of its modules."""
    for wanted in (set(modules[:1]), set(modules)):
        for cell in reversed(list(history)):
            if wanted & set(cell_modules(cell)):
                return cell
    return None


def cell_modules(cell: ExecutedCell) -> tuple[str, ...]:
    """What the Elixir side said the cell defined; for a cell it could not even parse, a scan."""
    return cell.modules or defined_modules(cell.code)


def graded_cell(cell: ExecutedCell, starter_modules: Sequence[str]) -> str:
    """``cell In [5] (Billing.Charger)``: the cell as the notebook labels it, and what it defines.

    >>> graded_cell(ExecutedCell(5, "", True, ("Billing.Charger", "Billing.Helper")), ["Billing.Charger"])
    'cell In [5] (Billing.Charger, Billing.Helper)'
    """
    defined = cell_modules(cell) or tuple(starter_modules[:1])
    return f"cell In [{cell.count}] ({', '.join(defined)})"


def score_meaning(score: float, maximum: float, total: float, hidden: bool) -> str:
    """What the score covers, in a sentence.

    >>> score_meaning(7, 7, 11, hidden=False)
    '7/7 from the visible tests. The other 4 points come from hidden tests when your instructor grades.'
    >>> score_meaning(9, 11, 11, hidden=True)
    '9/11, visible and hidden tests together.'
    """
    if hidden:
        return f"{points(score)}/{points(maximum)}, visible and hidden tests together."
    meaning = f"{points(score)}/{points(maximum)} from the visible tests."
    if total > maximum:
        meaning += f" The other {points(total - maximum)} points come from hidden tests when your instructor grades."
    return meaning
