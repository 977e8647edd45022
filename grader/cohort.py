"""A cohort's overview for the instructor: ``python -m grader cohort ASSIGNMENT`` (in a course folder)
draws three plots as PNG into ``reports/<assignment>/``, and ``instructor/cohort_overview.ipynb``
shows the same plots, for a course folder you name, with the tables behind them.

- **score per exercise**: each learner's share of the points, exercise by exercise (a dot per
  learner, a bar for the mean): where the cohort is strong and where it struggled;
- **most-failed tests**: the tests that failed for the most learners, across the assignment's
  exercises, from the per-test results the check cells record: what to go over again;
- **time to pass**: for each exercise, how long after the release the learners who got full marks
  handed it in (nbgrader's submission time, minus the time ``release/<assignment>`` was made).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from matplotlib.figure import Figure  # figures without pyplot's global state or a GUI backend
from matplotlib.ticker import MaxNLocator
from nbgrader.api import MissingEntry

from .course import open_gradebook
from .nbgrader_export import test_rows

PLOTS = ("score_per_exercise", "most_failed_tests", "time_to_pass")


class CohortError(Exception):
    """No overview can be drawn as asked; the message says what to do."""


@dataclass(frozen=True)
class Submission:
    student: str
    exercise: str
    score: float
    max_score: float
    handed_in: datetime | None


@dataclass(frozen=True)
class Cohort:
    assignment: str
    exercises: list[str]
    submissions: list[Submission]
    failed_tests: Counter
    """(exercise, test name) -> how many learners failed it."""
    released: datetime | None

    def shares(self, exercise: str) -> list[float]:
        return [s.score / s.max_score for s in self.submissions if s.exercise == exercise and s.max_score]

    def hours_to_pass(self, exercise: str) -> list[float]:
        if self.released is None:
            return []
        return sorted((s.handed_in - self.released).total_seconds() / 3600 for s in self.submissions
                      if s.exercise == exercise and s.handed_in and s.max_score and s.score >= s.max_score)


def load(course: Path, assignment: str, db_url: str | None = None) -> Cohort:
    """The cohort's grades (gradebook), per-test results (autograded notebooks) and times."""
    course = Path(course)
    with open_gradebook(course, db_url) as gradebook:
        try:
            exercises = [nb.name for nb in gradebook.find_assignment(assignment).notebooks]
        except MissingEntry:
            raise CohortError(f"the gradebook does not know {assignment}: release and autograde it first") from None
        submissions = [
            Submission(sub.student.id, nb.name, float(nb.score), float(nb.max_score), sub.timestamp)
            for sub in gradebook.assignment_submissions(assignment) for nb in sub.notebooks
        ]
    failed = Counter()
    for folder in sorted((course / "autograded").glob(f"*/{assignment}")):
        failed.update({(row[0], row[1]) for row in test_rows(folder) if row[3] != "pass"})
    release = course / "release" / assignment
    # nbgrader keeps submission times as naive UTC.
    released = (datetime.fromtimestamp(release.stat().st_mtime, timezone.utc).replace(tzinfo=None)
                if release.is_dir() else None)
    return Cohort(assignment, sorted(exercises), submissions, failed, released)


def draw(cohort: Cohort, name: str) -> Figure:
    """One of PLOTS as a matplotlib figure."""
    return {"score_per_exercise": _scores, "most_failed_tests": _failed, "time_to_pass": _time}[name](cohort)


def write(cohort: Cohort, out: Path) -> list[Path]:
    """Every plot as ``<name>.png`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PLOTS:
        draw(cohort, name).savefig(out / f"{name}.png", dpi=120, bbox_inches="tight")
        written.append(out / f"{name}.png")
    return written


def _scores(cohort: Cohort):
    figure = Figure(figsize=(8, 0.5 + 0.45 * max(len(cohort.exercises), 1)))
    axes = figure.subplots()
    for row, exercise in enumerate(cohort.exercises):
        shares = cohort.shares(exercise)
        if shares:
            axes.barh(row, 100 * sum(shares) / len(shares), color="#bbdefb")
            axes.plot([100 * s for s in shares], [row] * len(shares), "o", color="#1565c0", alpha=0.6)
    axes.set_yticks(range(len(cohort.exercises)), cohort.exercises)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("share of the points (%): bar = mean, dot = a learner")
    axes.set_title(f"{cohort.assignment}: score per exercise")
    return figure


def _failed(cohort: Cohort, top: int = 12):
    worst = cohort.failed_tests.most_common(top)
    figure = Figure(figsize=(9, 0.5 + 0.4 * max(len(worst), 1)))
    axes = figure.subplots()
    labels = [f"{exercise[:2]} · {_short(test)}" for (exercise, test), _count in worst]
    axes.barh(range(len(worst)), [count for _key, count in worst], color="#ef9a9a")
    axes.set_yticks(range(len(worst)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("learners who failed it")
    axes.set_title(f"{cohort.assignment}: most-failed tests" + ("" if worst else " (none failed)"))
    return figure


def _time(cohort: Cohort):
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    for exercise in cohort.exercises:
        hours = cohort.hours_to_pass(exercise)
        if hours:
            axes.step([0, *hours], [0, *range(1, len(hours) + 1)], where="post", label=exercise)
    axes.set_xlabel("hours after the release")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("learners with full marks")
    axes.set_title(f"{cohort.assignment}: time to pass" + ("" if cohort.released else " (no release/ folder: unknown)"))
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize=8)
    return figure


def _short(text: str, width: int = 70) -> str:
    """>>> _short("a" * 80, 10)
    'aaaaaaaaa…'
    """
    return text if len(text) <= width else text[: width - 1] + "…"
