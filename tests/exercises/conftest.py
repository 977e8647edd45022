"""Gradings run ahead of the tests that read them.

Most of a grading is waiting on the timeouts its tests trip (an exercise's run is mostly idle), so
the suite grades a few submissions at a time, each in its own sandbox, in the order the selected
tests will ask for them. A test still asserts on exactly the grade of its own submission.
`GRADING_JOBS=1` grades one at a time, as the test asks.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from grader import engine
from grader import exercise as exercises
from grader.results import Grade

GRADING_JOBS = int(os.environ.get("GRADING_JOBS", "3"))

# The tests that take the `grade` fixture, and where each one's submission is.
SUBMISSION = {
    "test_starter_compiles_and_scores_below_60_percent": lambda ex_id, path: exercises.load(ex_id).starter_path,
    "test_reference_solution_scores_full_marks": lambda ex_id, path: exercises.load(ex_id).solution_path,
    "test_another_correct_fix_scores_full_marks": lambda ex_id, path: path,
    "test_a_half_fix_fails_the_tests_of_the_clause_it_breaks": lambda ex_id, path: path,
}


class Gradings:
    """Grades of submissions, each graded once, on a pool of `jobs` sandboxes."""

    def __init__(self, jobs: int):
        self._pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grading")
        self._futures: dict[tuple[str, Path], Future] = {}

    def schedule(self, exercise_id: str, source: Path) -> Future:
        key = (exercise_id, source)
        if key not in self._futures:
            self._futures[key] = self._pool.submit(engine.grade, exercise_id, source.read_text())
        return self._futures[key]

    def grade(self, exercise_id: str, source: Path) -> Grade:
        return self.schedule(exercise_id, source).result()

    def close(self):
        self._pool.shutdown(wait=True, cancel_futures=True)


def submission_of(item: pytest.Item) -> tuple[str, Path] | None:
    """The (exercise, source file) a collected test grades, or None for a test that grades nothing."""
    where = SUBMISSION.get(getattr(item, "originalname", ""))
    params = getattr(getattr(item, "callspec", None), "params", {})
    if where is None or "exercise_id" not in params:
        return None
    return params["exercise_id"], where(params["exercise_id"], params.get("path"))


@pytest.fixture(scope="session")
def gradings(request):
    """Every submission the selected tests grade, scheduled at once in test order."""
    pool = Gradings(GRADING_JOBS)
    for item in request.session.items:
        submission = submission_of(item)
        if submission:
            pool.schedule(*submission)
    yield pool
    pool.close()


@pytest.fixture
def grade(request, gradings):
    """The grade of the submission this test is about (see SUBMISSION)."""
    submission = submission_of(request.node)
    assert submission, f"{request.node.name} asks for a grade but is not in SUBMISSION"
    return gradings.grade(*submission)
