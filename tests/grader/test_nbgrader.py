"""The instructor's path through nbgrader, for real: release an exercise, collect a learner's
fixed notebook, autograde it (visible and hidden tests), and read the grade."""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ..nbgrader_cli import nbgrader

REPO = Path(__file__).resolve().parents[2]
EXERCISE = "03_classify_failures"
NOTEBOOK = f"{EXERCISE}.ipynb"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "exercises" / EXERCISE, root / "exercises" / EXERCISE,
                    ignore=shutil.ignore_patterns("_build", "deps"))
    nbgrader(root, "generate_assignment", EXERCISE)
    return root


def cell(notebook, grade_id):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_the_release_shows_the_pitfall_code_and_no_solution_or_hidden_test(course):
    release = course / "release" / EXERCISE
    pitfall = cell(nbformat.read(release / NOTEBOOK, as_version=4), "pitfall").source
    starter = (REPO / "exercises" / EXERCISE / "project/lib/billing/charger.ex").read_text()
    assert pitfall.startswith(starter.rstrip())
    assert "BEGIN SOLUTION" not in pitfall and "Fix the code above" in pitfall
    released = "\n".join(p.read_text(errors="replace") for p in release.rglob("*") if p.is_file())
    solution = (REPO / "solutions" / EXERCISE / "charger.ex").read_text()
    assert "dependency_timeout}" not in pitfall and solution not in released
    for hidden in (REPO / "grader" / "hidden" / EXERCISE).glob("*.exs"):
        assert hidden.name not in {p.name for p in release.rglob("*")}
        assert hidden.read_text().splitlines()[3] not in released


@pytest.mark.parametrize("fixed, expected", [(True, 11.0), (False, None)], ids=["reference-fix", "untouched"])
def test_autograde_runs_visible_and_hidden_tests(course, fixed, expected):
    student = f"learner_{'fixed' if fixed else 'untouched'}"
    submitted = course / "submitted" / student / EXERCISE
    shutil.copytree(course / "release" / EXERCISE, submitted)
    notebook = nbformat.read(submitted / NOTEBOOK, as_version=4)
    if fixed:
        cell(notebook, "pitfall").source = (REPO / "solutions" / EXERCISE / "charger.ex").read_text()
    nbformat.write(notebook, submitted / NOTEBOOK)

    autograde = nbgrader(course, "autograde", EXERCISE, "--student", student)
    noise = [line for line in (autograde.stdout + autograde.stderr).splitlines()
             if "SAWarning" in line or "without encryption" in line or "Traceback" in line]
    assert noise == [], "autograde's output is for the instructor: no library noise"

    graded = nbformat.read(course / "autograded" / student / EXERCISE / NOTEBOOK, as_version=4)
    check = cell(graded, "check")
    score = float(next(o for o in check.outputs if o.output_type == "execute_result").data["text/plain"])
    shown = "".join(o.get("data", {}).get("text/plain", "") for o in check.outputs)
    assert "(hidden)" in shown, "under autograde the hidden tests run too"
    assert not any(o.output_type == "stream" and o.name == "stderr" for c in graded.cells for o in c.get("outputs", []))
    if expected is not None:
        assert score == expected
    else:
        assert 0 <= score < 11 * 0.6


def test_feedback_and_export_after_autograde(course):
    student = "learner_feedback"
    submitted = course / "submitted" / student / EXERCISE
    shutil.copytree(course / "release" / EXERCISE, submitted)
    nbgrader(course, "autograde", EXERCISE, "--student", student)
    nbgrader(course, "generate_feedback", EXERCISE, "--student", student)
    feedback = (course / "feedback" / student / EXERCISE / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    assert "(hidden)" in feedback
    for hidden in (REPO / "grader" / "hidden" / EXERCISE).glob("*.exs"):
        bodies = [line.strip() for line in hidden.read_text().splitlines() if line.strip().startswith("assert")]
        assert bodies and not any(body in feedback for body in bodies), "hidden test source reached the feedback"
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", feedback), \
        "the feedback page loads something from the network"
    assert 'class="err"' not in feedback, "a magic line is not an Elixir syntax error"
    assert '<span class="kp">%mix_test</span>' in feedback
    nbgrader(course, "export", force=False)
    grades = (course / "grades.csv").read_text()
    assert student in grades and EXERCISE in grades


def test_export_writes_one_row_per_test_beside_grades_csv(course):
    student = "learner_export"
    submitted = course / "submitted" / student / EXERCISE
    shutil.copytree(course / "release" / EXERCISE, submitted)
    nbgrader(course, "autograde", EXERCISE, "--student", student)
    nbgrader(course, "export", force=False)
    with (course / "grades-tests.csv").open() as f:
        rows = [row for row in csv.DictReader(f) if row["student"] == student]
    assert {row["visibility"] for row in rows} == {"visible", "hidden"}
    assert all(row["assignment"] == EXERCISE and row["exercise"] == EXERCISE for row in rows)
    graded = nbformat.read(course / "autograded" / student / EXERCISE / NOTEBOOK, as_version=4)
    score = float(next(o for o in cell(graded, "check").outputs if o.output_type == "execute_result").data["text/plain"])
    assert sum(float(row["points"]) for row in rows) == score
    assert sum(float(row["max_points"]) for row in rows) == 11
    assert any(row["status"] == "fail" and row["points"] == "0" for row in rows), "the untouched starter fails some"


HOSTILE_CELL = '''
course = {course!r}
leaked =
  for path <- [{solution!r}, {hidden!r}, "../../../exercises/03_classify_failures/project/test/billing/charger_test.exs"],
      do: {{path, File.read(Path.expand(path, course))}}
IO.inspect(leaked, limit: :infinity, printable_limit: :infinity)
for path <- [Path.join(course, "exercises/03_classify_failures/project/test/billing/charger_test.exs"),
             Path.join(course, "gradebook.db"), "../../../gradebook.db", "/tmp/planted-by-a-learner"] do
  IO.inspect({{path, File.write(path, "defmodule Billing.ChargerTest do end")}})
end
:os.cmd(~c"sleep 4244 > /dev/null 2>&1 &")
IO.inspect(:gen_tcp.connect(~c"127.0.0.1", {port}, [], 2000))
'''


def test_a_hostile_notebook_is_contained_under_autograde(course):
    student = "learner_hostile"
    submitted = course / "submitted" / student / EXERCISE
    shutil.copytree(course / "release" / EXERCISE, submitted)
    notebook = nbformat.read(submitted / NOTEBOOK, as_version=4)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    solution = REPO / "solutions" / EXERCISE / "charger.ex"
    hidden = next((REPO / "grader" / "hidden" / EXERCISE).glob("*.exs"))
    attack = HOSTILE_CELL.format(course=str(course), solution=str(solution), hidden=str(hidden),
                                 port=server.getsockname()[1])
    check = notebook.cells.index(cell(notebook, "check"))
    notebook.cells.insert(check, nbformat.v4.new_code_cell(attack))
    nbformat.write(notebook, submitted / NOTEBOOK)
    before = {p: p.read_bytes() for p in (course / "exercises").rglob("*") if p.is_file()}
    gradebook = (course / "gradebook.db").read_bytes()
    server.setblocking(False)

    nbgrader(course, "autograde", EXERCISE, "--student", student)

    graded = nbformat.read(course / "autograded" / student / EXERCISE / NOTEBOOK, as_version=4)
    shown = nbformat.writes(graded)
    assert "dependency_timeout}" not in shown.replace("{:error, :dependency_timeout}", ""), "the solution leaked"
    for line in hidden.read_text().splitlines():
        if len(line.strip()) > 30:
            assert line.strip() not in shown, "a hidden test leaked"
    assert {p: p.read_bytes() for p in (course / "exercises").rglob("*") if p.is_file()} == before
    assert (course / "gradebook.db").read_bytes() != b"defmodule Billing.ChargerTest do end"
    assert gradebook[:16] == (course / "gradebook.db").read_bytes()[:16], "the gradebook is still SQLite"
    assert not Path("/tmp/planted-by-a-learner").exists()
    with pytest.raises(BlockingIOError):
        server.accept()
    server.close()
    assert not any(b"sleep 4244" in Path(f"/proc/{pid}/cmdline").read_bytes()
                   for pid in os.listdir("/proc") if pid.isdigit() and Path(f"/proc/{pid}/cmdline").exists())
    score = float(next(o for o in cell(graded, "check").outputs if o.output_type == "execute_result").data["text/plain"])
    assert score == 3, "the starter's honest score: the attack gained nothing"


@pytest.mark.parametrize("attack", ["sigil atoms and apply", "replace the formatter at compile time",
                                    "code that runs in the formatter", "fill the disk and memory",
                                    "nested result record", "terminal control sequences"])
def test_a_solution_cell_that_attacks_the_grader_gains_nothing_under_autograde(course, attack):
    """One attack of each kind the CLI meets, in the solution cell, through nbgrader autograde."""
    from .test_attacks import ATTACKS, COMPILED_CODE_ATTACKS

    student = "learner_" + attack.replace(" ", "_")
    submitted = course / "submitted" / student / EXERCISE
    shutil.copytree(course / "release" / EXERCISE, submitted)
    notebook = nbformat.read(submitted / NOTEBOOK, as_version=4)
    cell(notebook, "pitfall").source = {**ATTACKS, **COMPILED_CODE_ATTACKS}[attack]
    nbformat.write(notebook, submitted / NOTEBOOK)

    nbgrader(course, "autograde", EXERCISE, "--student", student)

    graded = nbformat.read(course / "autograded" / student / EXERCISE / NOTEBOOK, as_version=4)
    check = cell(graded, "check")
    score = float(next(o for o in check.outputs if o.output_type == "execute_result").data["text/plain"])
    shown = "".join(o.get("data", {}).get("text/plain", "") for o in check.outputs)
    from grader import engine

    from .test_attacks import module
    honest = max(engine.grade(EXERCISE, module("", f"def charge(_p, _o), do: {answer}")).score
                 for answer in (':ok', 'raise "refused"'))
    assert score <= honest < 11 / 2, "the attack's charge/2 answers nothing right: it may score only what crashing does"
    assert "(hidden)" in shown and "\x1b" not in shown


def test_autograde_refuses_to_run_learners_code_where_bubblewrap_cannot_run(course, tmp_path):
    venv_only = str(Path(sys.executable).parent)  # python and nbgrader, but no bwrap
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", EXERCISE, "--force"], cwd=course,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PATH": venv_only, "PYTHONPATH": str(REPO)})
    assert result.returncode != 0
    assert "nbgrader autograde: refused: this notebook must run jailed, and bubblewrap is not installed" in result.stderr


def test_every_reference_fix_in_its_solution_cell_gets_full_marks_under_autograde(tmp_path_factory):
    """The whole instructor path for every exercise: release, a learner pastes the reference fix
    into the notebook's solution cell (01's deletes a module the exercise says to delete), autograde."""
    from grader import engine, exercise

    root = tmp_path_factory.mktemp("every_exercise")
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "exercises", root / "exercises", ignore=shutil.ignore_patterns("_build", "deps"))
    nbgrader(root, "generate_assignment", "*")
    for ex in exercise.load_all():
        submitted = root / "submitted" / "ref" / ex.id
        shutil.copytree(root / "release" / ex.id, submitted)
        path = submitted / f"{ex.id}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        cell(notebook, "pitfall").source = ex.solution_path.read_text()
        nbformat.write(notebook, path)
    nbgrader(root, "autograde", "*", "--student", "ref")
    scores = {}
    for ex in exercise.load_all():
        graded = nbformat.read(root / "autograded" / "ref" / ex.id / f"{ex.id}.ipynb", as_version=4)
        result = next(o for o in cell(graded, "check").outputs if o.output_type == "execute_result")
        scores[ex.id] = (float(result.data["text/plain"]), engine.max_score(ex))
    assert {k: v for k, v in scores.items() if v[0] != v[1]} == {}


def test_a_written_design_review_is_left_for_manual_grading_while_the_checklist_scores(tmp_path):
    """Exercise 21: the release hides no rubric and stubs the review cell; autograde scores the
    answer sheet (visible and hidden tests) and leaves the review to formgrader."""
    from nbgrader.api import Gradebook

    exercise_id, notebook_name = "21_design_judgement", "21_design_judgement.ipynb"
    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    shutil.copytree(REPO / "exercises" / exercise_id, tmp_path / "exercises" / exercise_id,
                    ignore=shutil.ignore_patterns("_build", "deps"))
    nbgrader(tmp_path, "generate_assignment", exercise_id)
    release = tmp_path / "release" / exercise_id
    released = nbformat.read(release / notebook_name, as_version=4)
    assert cell(released, "design_review").source.strip() == "YOUR ANSWER HERE"
    assert not any(p.name == "rubric.md" for p in release.rglob("*"))

    submitted = tmp_path / "submitted" / "learner" / exercise_id
    shutil.copytree(release, submitted)
    cell(released, "pitfall").source = (REPO / "solutions" / exercise_id / "judgement.ex").read_text()
    cell(released, "design_review").source = "The Dispatcher's `Task.start` per event is unbounded and unowned."
    nbformat.write(released, submitted / notebook_name)
    nbgrader(tmp_path, "autograde", exercise_id, "--student", "learner")

    graded = nbformat.read(tmp_path / "autograded" / "learner" / exercise_id / notebook_name, as_version=4)
    score = float(next(o for o in cell(graded, "check").outputs if o.output_type == "execute_result").data["text/plain"])
    assert score == 25
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        review = gradebook.find_grade("design_review", "21_design_judgement", exercise_id, "learner")
        check = gradebook.find_grade("check", "21_design_judgement", exercise_id, "learner")
        assert (review.needs_manual_grade, review.max_score) == (True, 5)
        assert (check.needs_manual_grade, check.auto_score, check.max_score) == (False, 25, 25)
    # The feedback explains every question, passed or failed: each hidden test's name gives the answer and why.
    nbgrader(tmp_path, "generate_feedback", exercise_id, "--student", "learner")
    feedback = (tmp_path / "feedback" / "learner" / exercise_id / notebook_name.replace(".ipynb", ".html")).read_text()
    assert "q4 one CSV import per worker: :transient (restarted after a crash, not after it finishes)" in feedback
    assert "q11 one malformed queue message: :dead_letter (a crash would redeliver it and loop)" in feedback
