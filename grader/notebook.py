"""The kernel-side check cell: ``%mix_test EXERCISE_ID``.

It grades the learner's most recent cell that defines every module of the exercise's
starter file, shows a pass/fail table, and returns the score as the cell's result, so
nbgrader's partial credit reads it. It runs the visible tests unless the notebook is being
autograded (``OTP_GRADER_AUTOGRADE=1``, set by the course's ``nbgrader_config.py``), when the
hidden tests run too. It never writes to stderr: nbgrader zeroes a graded cell that does.
"""

from __future__ import annotations

import os
import re

from iex_kernel.magics import MagicContext, MagicError, MagicResult

from . import engine, report
from .exercise import ExerciseError, load
from .results import number
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
    source = find_submission(ctx.history, exercise.starter_modules)
    if source is None:
        names = ", ".join(exercise.starter_modules)
        raise MagicError(f"Run the cell with your fix first (the cell that defines {names}), then run this check again.")
    try:
        grade = engine.grade(exercise, source, include_hidden=autograding(), source_label="your cell")
    except (engine.SubmissionError, ToolchainError) as exc:
        raise MagicError(str(exc)) from None
    ctx.display({"text/html": report.html_table(grade), "text/plain": report.text(grade)})
    return MagicResult(data={"text/plain": str(number(grade.score))})


def find_submission(history, modules) -> str | None:
    """The most recent cell that defines every one of ``modules``."""
    if not modules:
        return None
    patterns = [re.compile(rf"^\s*defmodule\s+{re.escape(m)}\s+do\b", re.MULTILINE) for m in modules]
    for code in reversed(list(history)):
        if all(p.search(code) for p in patterns):
            return code
    return None
