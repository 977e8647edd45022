"""`make lab`'s workspace: the released course, nothing of the instructor's, the learner's work kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader import exercise, learner_lab

REPO = exercise.repo_root()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("learner") / "workspace"
    learner_lab.build(folder)
    return folder


def every_file(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_it_holds_every_course_notebook_and_every_released_exercise(workspace):
    assert sorted(p.name for p in (workspace / "course").glob("*.ipynb")) == \
        sorted(p.name for p in (REPO / "course").glob("*.ipynb"))
    for ex in exercise.load_all():
        folder = workspace / "exercises" / ex.id
        assert (folder / f"{ex.id}.ipynb").is_file()
        assert (folder / "project" / ex.learner_file).read_text() == ex.starter_path.read_text()
        assert {p.name for p in (folder / "project" / "test").rglob("*_test.exs")} == \
            {p.name for p in ex.visible_test_files}


def test_nothing_of_the_instructors_is_in_it(workspace):
    names = {p.name for p in workspace.rglob("*")}
    assert not {"solutions", "grader", "hidden", "gradebook.db", "nbgrader_config.py"} & names
    hidden_tests = {p.name for ex in exercise.load_all() for p in ex.hidden_test_files}
    assert not hidden_tests & names
    text = "\n".join(p.read_text(errors="replace") for p in every_file(workspace))
    assert "### BEGIN SOLUTION" not in text
    for ex in exercise.load_all():
        solution = ex.solution_path.read_text()
        assert solution not in text, f"the solution of {ex.id} is in the workspace"


def test_exercise_notebooks_show_the_pitfall_code_to_fix(workspace):
    ex = exercise.load("03_classify_failures")
    notebook = nbformat.read(workspace / "exercises" / ex.id / f"{ex.id}.ipynb", as_version=4)
    [pitfall] = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "pitfall"]
    assert pitfall.source.startswith(ex.starter_path.read_text().rstrip())
    assert "Fix the code above, run this cell, then run the check cell below." in pitfall.source


def test_the_labs_settings_switch_off_nbgraders_instructor_tools(workspace):
    page = json.loads((workspace / ".jupyter" / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == {"@jupyter/nbgrader": True}
    server = json.loads((workspace / ".jupyter" / "jupyter_server_config.json").read_text())
    assert set(server["ServerApp"]["jpserver_extensions"].values()) == {False}
    command, env = learner_lab.lab_command(workspace, open_browser=False)
    assert f"--ServerApp.root_dir={workspace.resolve()}" in command
    assert "--LabApp.default_url=/lab/tree/course/00_start_here.ipynb" in command
    assert env["JUPYTER_CONFIG_DIR"] == str((workspace / ".jupyter").resolve())


def test_the_self_checks_answers_stay_out_of_it_and_the_kernel_is_told_where_they_are(workspace):
    assert not list(workspace.rglob("*.quiz"))
    _, env = learner_lab.lab_command(workspace, open_browser=False)
    banks = Path(env["IEXK_QUIZ_PATH"])
    assert {p.stem for p in banks.glob("*.quiz")} == {p.stem for p in (workspace / "course").glob("*.ipynb")}


def test_a_your_turn_cell_is_released_without_its_answer_or_the_outputs_it_made(tmp_path):
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "elixir", "display_name": "Elixir (IEx)", "language": "elixir"}})
    yours = nbformat.v4.new_code_cell(
        "defmodule Backoff do\n  def delay(attempt) do\n    ### BEGIN SOLUTION\n    100 * 2 ** attempt\n"
        "    ### END SOLUTION\n  end\nend", outputs=[nbformat.v4.new_output("stream", text="compiled")],
        metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "your_turn", "locked": False,
                               "schema_version": 3, "task": False}})
    check = nbformat.v4.new_code_cell(
        "import ExUnit.Assertions\nassert Backoff.delay(3) == 800", execution_count=2,
        metadata={"nbgrader": {"solution": False, "grade": True, "grade_id": "check", "points": 1, "locked": True,
                               "schema_version": 3, "task": False}})
    demo = nbformat.v4.new_code_cell("1 + 1", outputs=[nbformat.v4.new_output("stream", text="2")])
    notebook.cells = [demo, yours, check]
    nbformat.write(notebook, tmp_path / "lesson.ipynb")
    learner_lab.release_course_notebook(tmp_path / "lesson.ipynb", tmp_path / "released.ipynb")
    demo, yours, check = nbformat.read(tmp_path / "released.ipynb", as_version=4).cells
    assert "2 ** attempt" not in yours.source and learner_lab.YOUR_TURN_STUB in yours.source
    assert yours.source.startswith("defmodule Backoff do\n  def delay(attempt) do\n")
    assert yours.outputs == [] and check.outputs == [] and check.execution_count is None
    assert check.source.endswith("== 800") and demo.outputs, "the rest of the lesson keeps its outputs"


def test_every_course_notebook_in_it_has_its_your_turn_cells_to_do(workspace):
    for path in (REPO / "course").glob("*.ipynb"):
        released = nbformat.read(workspace / "course" / path.name, as_version=4)
        yours = [cell for cell in released.cells if cell.metadata.get("nbgrader", {}).get("solution")]
        assert yours, f"{path.name} has no your-turn cell"
        assert all(learner_lab.YOUR_TURN_STUB in cell.source and not cell.outputs for cell in yours)


def test_building_again_keeps_the_learners_work_and_restores_what_was_deleted(tmp_path):
    folder = tmp_path / "workspace"
    learner_lab.build(folder)
    mine = folder / "exercises" / "03_classify_failures" / "03_classify_failures.ipynb"
    mine.write_text(mine.read_text().replace("Fix the code above", "MY OWN EDIT"))
    gone = folder / "course" / "01_operate.ipynb"
    gone.unlink()
    report = learner_lab.build(folder)
    assert "MY OWN EDIT" in mine.read_text()
    assert gone.is_file()
    assert report.added == ["course/01_operate.ipynb"]
    assert "exercises/03_classify_failures/03_classify_failures.ipynb" in report.kept


def test_the_cli_builds_and_says_what_it_did(tmp_path):
    run = subprocess.run([sys.executable, "-m", "grader", "learner-lab", "--workspace", str(tmp_path / "ws"),
                          "--build-only"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "files added, 0 of your files kept as they are" in run.stdout


def test_a_workspace_that_cannot_be_written_is_a_clear_error(tmp_path):
    blocker = tmp_path / "ws"
    blocker.write_text("a file where the folder should be")
    run = subprocess.run([sys.executable, "-m", "grader", "learner-lab", "--workspace", str(blocker),
                          "--build-only"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert run.stderr.startswith(f"error: cannot write the workspace {blocker}")
    assert blocker.read_text() == "a file where the folder should be"
