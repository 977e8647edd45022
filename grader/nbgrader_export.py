"""``nbgrader export`` with one more file: the per-test results beside nbgrader's grades.csv.

nbgrader's gradebook knows one score per check cell. The check cell's output also carries the
grade as data (``report.GRADE_MIME``), test by test; this exporter writes nbgrader's own CSV,
then reads the autograded notebooks and writes one row per learner, exercise and test::

    student,assignment,exercise,test,visibility,status,points,max_points

The course's nbgrader_config.py makes it the exporter, so plain ``nbgrader export`` writes
``grades.csv`` and ``grades-tests.csv`` (``--to marks.csv`` gives ``marks-tests.csv``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

import nbformat
from nbgrader.plugins import CsvExportPlugin

from .report import GRADE_MIME
from .results import points

COLUMNS = ["student", "assignment", "exercise", "test", "visibility", "status", "points", "max_points"]


class PerTestCsvExport(CsvExportPlugin):
    """nbgrader's CSV export, plus a per-test CSV next to it."""

    def export(self, gradebook) -> None:
        super().export(gradebook)
        grades = Path(self.to or "grades.csv")
        destination = grades.with_name(grades.stem + "-tests.csv")
        coursedir = self.parent.coursedir
        wanted_students = {str(s) for s in self.student}
        wanted_assignments = {str(a) for a in self.assignment}
        rows = []
        for assignment in gradebook.assignments:
            if wanted_assignments and assignment.name not in wanted_assignments:
                continue
            for student in gradebook.students:
                if wanted_students and student.id not in wanted_students:
                    continue
                folder = Path(coursedir.format_path(coursedir.autograded_directory, student.id, assignment.name))
                rows += [[student.id, assignment.name, *row] for row in test_rows(folder)]
        with destination.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        self.log.info("Exported %d test results to %s", len(rows), destination)


def test_rows(folder: Path) -> Iterator[list[str]]:
    """Per-test rows from the check cells of the autograded notebooks in ``folder``."""
    for path in sorted(folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                grade = output.get("data", {}).get(GRADE_MIME)
                if not isinstance(grade, dict):
                    continue
                for test in grade.get("tests", []):
                    earned = test["points"] if test.get("status") == "pass" else 0
                    yield [grade.get("exercise", ""), test.get("name", ""),
                           "visible" if test.get("visible") else "hidden", test.get("status", ""),
                           points(float(earned)), points(float(test.get("points", 0)))]
