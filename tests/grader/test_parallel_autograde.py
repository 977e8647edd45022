"""`python -m grader autograde ASSIGNMENT --jobs N`: nbgrader's autograde for each learner, side by
side, into one gradebook; a submission that breaks or hangs is reported and stopped, never the cohort."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import autograde, cli, course

from ..nbgrader_cli import nbgrader

REPO = Path(__file__).resolve().parents[2]
EXERCISE = "03_classify_failures"
NOTEBOOK = f"{EXERCISE}.ipynb"
ONE = f'[[assignment]]\nid = "one"\nexercises = ["{EXERCISE}"]\n'


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    """A course folder with three submissions of "one": perfect, partial and a broken file."""
    tmp = tmp_path_factory.mktemp("cohort")
    (tmp / "course.toml").write_text(ONE)
    root = tmp / "course"
    course.build(root, tmp / "course.toml")
    nbgrader(root, "generate_assignment", "one")
    solution = (REPO / "solutions" / EXERCISE / "charger.ex").read_text()
    for student, pitfall in [("perfect", solution), ("partial", None)]:
        submitted = root / "submitted" / student / "one"
        shutil.copytree(root / "release" / "one", submitted)
        if pitfall:
            notebook = nbformat.read(submitted / NOTEBOOK, as_version=4)
            next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "pitfall").source = pitfall
            nbformat.write(notebook, submitted / NOTEBOOK)
    broken = root / "submitted" / "broken" / "one"
    shutil.copytree(root / "release" / "one", broken)
    (broken / NOTEBOOK).write_text("{ this is not a notebook")
    return root


def processes_in(folder: Path) -> list[int]:
    """Processes, other than this one, whose working directory is inside ``folder``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        if entry.name == str(os.getpid()):
            continue
        try:
            if Path(os.readlink(entry / "cwd")).is_relative_to(folder):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def scores(root: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions("one")}


def test_the_cohort_is_graded_side_by_side_and_a_broken_submission_stops_only_itself(cohort, monkeypatch, capsys):
    monkeypatch.chdir(cohort)
    code = cli.main(["autograde", "one", "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 1, "a submission was not graded"
    assert "2 of 3 submissions graded" in out and "broken: nbgrader autograde exited with 1" in out
    assert "python -m grader autograde ASSIGNMENT --student ID --force" in out
    assert "Sanitizing" in (cohort / "logs" / "autograde" / "one" / "broken.log").read_text()
    graded = scores(cohort)
    assert graded["perfect"] == 11
    assert 0 < graded["partial"] < 11 * 0.6
    assert graded.get("broken", 0) == 0, "nbgrader records a submission it could not grade with no points"


def test_a_run_over_its_time_is_stopped_with_all_it_started(cohort, monkeypatch):
    marker = f"autograde-overrun-{os.getpid()}"
    # Stands in for a notebook that never finishes: a process that starts another and waits.
    monkeypatch.setattr(autograde, "_command", lambda *args: ["bash", "-c", f"sleep 600 & exec -a {marker} sleep 600"])
    started = time.monotonic()
    [outcome] = autograde.run(cohort, "one", students=["partial"], timeout=1, progress=False)
    assert not outcome.ok and outcome.reason.startswith("stopped after 1 s")
    assert time.monotonic() - started < 60
    assert processes_in(cohort) == [], "a stopped run leaves nothing running"


def test_grading_again_one_learner_with_force_keeps_the_others(cohort, monkeypatch):
    monkeypatch.chdir(cohort)
    before = scores(cohort)
    outcomes = autograde.run(cohort, "one", jobs=1, students=["perfect"], force=True, progress=False)
    assert [(o.student, o.ok) for o in outcomes] == [("perfect", True)]
    assert scores(cohort) == before


@pytest.mark.parametrize("kwargs, says", [
    ({"students": ["nobody"]}, "no submission of one for nobody"),
    ({"jobs": 0}, "--jobs 0: give 1 or more"),
])
def test_bad_requests_are_refused_before_anything_runs(cohort, kwargs, says):
    with pytest.raises(autograde.AutogradeError, match=says):
        autograde.run(cohort, "one", progress=False, **kwargs)


def test_outside_a_course_folder_or_without_submissions_it_says_what_to_do(tmp_path, cohort):
    with pytest.raises(autograde.AutogradeError, match="course build DIR"):
        autograde.run(tmp_path, "one", progress=False)
    with pytest.raises(autograde.AutogradeError, match="collect them first"):
        autograde.run(cohort, "two", progress=False)


def test_another_gradebook_url_is_used_as_given(cohort, tmp_path):
    other = tmp_path / "shared.db"
    with pytest.raises(autograde.AutogradeError, match=f"nbgrader generate_assignment one --db sqlite:///{other}"):
        autograde.run(cohort, "one", db_url=f"sqlite:///{other}", progress=False)
    nbgrader(cohort, "generate_assignment", "one", f"--CourseDirectory.db_url=sqlite:///{other}")
    outcomes = autograde.run(cohort, "one", students=["partial"], db_url=f"sqlite:///{other}", force=True,
                             progress=False)
    assert outcomes[0].ok, outcomes[0].reason
    with Gradebook(f"sqlite:///{other}") as gradebook:
        assert [s.student.id for s in gradebook.assignment_submissions("one")] == ["partial"]
