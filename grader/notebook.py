"""The kernel-side check cell: ``%mix_test EXERCISE_ID``.

What it grades is the exercise's solution cell (the notebook's nbgrader ``solution`` cell):

* under ``nbgrader autograde``, that cell's source as submitted, read from the notebook on
  disk (the learner's jailed cells cannot change it);
* in the lab, that cell as the kernel last ran it, found by its cell id (JupyterLab sends it);
* where neither is known (a frontend without cell ids, a notebook that is not the
  exercise's), the most recent cell that defines the starter's main module (the first
  ``defmodule`` of the starter file; failing that, any of its modules).

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
from pathlib import Path
from typing import Sequence

import nbformat

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
    hidden = autograding()
    solution = solution_cell(find_notebook(exercise.id))
    cell, notes = choose_submission(ctx.history, exercise.starter_modules, solution, submitted=hidden)
    what = graded_cell(cell, exercise.starter_modules)
    display_id = "mix-test-" + secrets.token_hex(6)
    header = f"Grading {what} with the {'visible and hidden' if hidden else 'visible'} tests of {exercise.id}"

    shown = False

    def show(bundle: dict) -> None:
        nonlocal shown
        ctx.display(bundle, display_id=display_id, update=shown)
        shown = True

    try:
        grade = engine.grade(exercise, as_file(cell.code), include_hidden=hidden, source_label="your cell", require_sandbox=hidden,
                             progress=lambda progress: show(report.progress_bundle(header, progress)))
    except (engine.SubmissionError, engine.SandboxUnavailable, ToolchainError) as exc:
        show(report.stopped_bundle(header, str(exc)))
        raise MagicError(str(exc)) from None
    except KeyboardInterrupt:
        show(report.stopped_bundle(header, "Stopped before it finished: nothing was graded."))
        raise
    if hidden:
        notes.insert(0, f"Graded {what}.")
    else:
        notes.insert(0, f"Graded {what}, as it was when you ran it. Changed it since? Run it, then run this check again.")
    if not cell.ok:
        notes.append("That cell ended with an error in the notebook too: fix it there first.")
    notes.append(score_meaning(grade.score, grade.max_score, engine.max_score(exercise), hidden))
    show(report.bundle(grade, notes))
    return MagicResult(data={"text/plain": str(number(grade.score))})


def choose_submission(history: Sequence[ExecutedCell], modules: Sequence[str], solution,
                      *, submitted: bool) -> tuple[ExecutedCell, list[str]]:
    """The cell to grade, and notes for the learner about the choice; MagicError if none.

    ``solution`` is the notebook's solution cell (nbformat), or None where it is not known;
    ``submitted`` grades its source as it is in the notebook (autograde) rather than as run.
    """
    if solution is not None and submitted:
        return ExecutedCell(0, solution.source, True, defined_modules(solution.source), solution.get("id")), []
    if solution is not None and solution.get("id"):
        runs = [cell for cell in history if cell.cell_id == solution.id]
        if not runs:
            raise MagicError("Run the exercise's cell (the one with the code to fix) first, then run this check again.")
        chosen, notes = runs[-1], []
        later = find_submission([c for c in history if c.count > chosen.count], modules)
        if later is not None:
            notes.append(f"Your cell In [{later.count}] defines {modules[0]} too, but this check grades the "
                         f"exercise's own cell, In [{chosen.count}]: put your fix there.")
        return chosen, notes
    cell = find_submission(history, modules)
    if cell is None:
        raise MagicError(f"Run the cell with your fix first (the cell that defines {modules[0]}), then run this check again.")
    return cell, []


def find_notebook(exercise_id: str, folder: Path | None = None) -> Path | None:
    """The exercise's notebook the check cell runs in: the one Jupyter names (JPY_SESSION_NAME),
    else one in the kernel's folder whose check cell is ``%mix_test exercise_id``."""
    folder = folder or Path.cwd()
    named = os.environ.get("JPY_SESSION_NAME")
    candidates = [folder / Path(named).name] if named else sorted(folder.glob("*.ipynb"))
    for path in candidates:
        try:
            notebook = nbformat.read(path, as_version=4)
        except (OSError, ValueError, nbformat.reader.NotJSONError):
            continue
        if any(c.cell_type == "code" and c.source.strip() == f"%mix_test {exercise_id}" for c in notebook.cells):
            return path
    return None


def solution_cell(path: Path | None):
    """The notebook's solution cell (nbgrader metadata ``solution: true``), or None."""
    if path is None:
        return None
    cells = [c for c in nbformat.read(path, as_version=4).cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    return cells[0] if len(cells) == 1 else None


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


def as_file(code: str) -> str:
    """A cell's code as the file it stands for: one final newline, whatever blank lines the cell
    ends with (its editor shows neither, so the validation gate's format check must not count them
    against the learner). The start is kept: line numbers in the feedback are the cell's.

    >>> as_file("defmodule A do\\nend"), as_file("defmodule A do\\nend\\n\\n  \\n")
    ('defmodule A do\\nend\\n', 'defmodule A do\\nend\\n')
    """
    return code.rstrip() + "\n"


def graded_cell(cell: ExecutedCell, starter_modules: Sequence[str]) -> str:
    """``cell In [5] (Billing.Charger)``: the cell as the notebook labels it, and what it defines.

    >>> graded_cell(ExecutedCell(5, "", True, ("Billing.Charger", "Billing.Helper")), ["Billing.Charger"])
    'cell In [5] (Billing.Charger, Billing.Helper)'
    >>> graded_cell(ExecutedCell(0, "defmodule Billing.Charger do\\nend", True), ["Billing.Charger"])
    "the exercise's cell as submitted (Billing.Charger)"
    """
    defined = cell_modules(cell) or tuple(starter_modules[:1])
    label = f"cell In [{cell.count}]" if cell.count else "the exercise's cell as submitted"
    return f"{label} ({', '.join(defined)})"


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
