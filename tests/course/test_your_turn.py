"""Each notebook's "your turn" cell as the learner gets it: the skeleton still compiles, and its
check cell fails until the learner writes the answer (the stored notebook shows it passing);
handed out through nbgrader, a lesson is autograded on it."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from grader.learner_lab import release_course_notebook

from ..nbgrader_cli import nbgrader
from .test_course import COURSE, NOTEBOOKS


def errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_released_check_fails_until_the_learner_answers(name, tmp_path):
    release_course_notebook(COURSE / f"{name}.ipynb", tmp_path / f"{name}.ipynb")
    notebook = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    marks = [cell.metadata.get("nbgrader", {}) for cell in notebook.cells]
    first_check = next((i for i, m in enumerate(marks) if m.get("grade")), None)
    assert first_check is not None, "the notebook has no check cell"
    notebook.cells = notebook.cells[: first_check + 1]
    NotebookClient(notebook, kernel_name="elixir", timeout=180, allow_errors=True,
                   resources={"metadata": {"path": str(COURSE)}}).execute()
    for cell, mark in zip(notebook.cells, marks):
        if mark.get("solution"):
            assert errors(cell) == [], "the released skeleton must run: the learner starts from it"
    assert errors(notebook.cells[-1]), "the check passes with the answer taken out: it checks nothing"


LESSON = "11_otp_design_and_supervision"


def test_a_lesson_handed_out_with_nbgrader_is_autograded_on_its_your_turn_cell(tmp_path):
    shutil.copy(COURSE.parent / "nbgrader_config.py", tmp_path)
    (tmp_path / "exercises" / "lesson").mkdir(parents=True)
    shutil.copy(COURSE / f"{LESSON}.ipynb", tmp_path / "exercises" / "lesson")
    nbgrader(tmp_path, "generate_assignment", "lesson")
    source = nbformat.read(COURSE / f"{LESSON}.ipynb", as_version=4)
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for learner, answered in [("answered", True), ("blank", False)]:
        shutil.copytree(tmp_path / "release" / "lesson", tmp_path / "submitted" / learner / "lesson")
        path = tmp_path / "submitted" / learner / "lesson" / f"{LESSON}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if answered and cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = answers[cell.metadata.nbgrader["grade_id"]]
        nbformat.write(notebook, path)
        nbgrader(tmp_path, "autograde", "lesson", "--student", learner)
        graded = nbformat.read(tmp_path / "autograded" / learner / "lesson" / f"{LESSON}.ipynb", as_version=4)
        failed = [c.metadata.nbgrader["grade_id"] for c in graded.cells
                  if c.metadata.get("nbgrader", {}).get("grade") and errors(c)]
        unexpected = [e for c in graded.cells if not c.metadata.get("nbgrader", {}).get("grade")
                      and "raises-exception" not in c.metadata.get("tags", []) for e in errors(c)]
        assert unexpected == [], "the lesson runs in autograde's jail, its self-check included"
        assert (failed == []) == answered, f"{learner}: failed checks {failed}"
