"""Each notebook's "your turn" cell as the learner gets it: the skeleton still compiles, and its
check cell fails until the learner writes the answer (the stored notebook shows it passing)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from grader.learner_lab import release_course_notebook

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
