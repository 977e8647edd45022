"""A cohort's autograde, one job against two, and what one Elixir notebook costs next to a trivial
Python notebook, all measured in the same run.

    .venv/bin/python bench/autograde_bench.py [--learners 30]

Builds a course folder with one assignment (exercise 03), releases it, and hands in N simulated
submissions (the reference fix, the starter and each half-fix, in turn). Then times
`python -m grader autograde --jobs 1` and `--jobs 2` over the whole cohort (each from a fresh
gradebook and no autograded copies), and `nbgrader autograde` of one learner's Elixir notebook
next to `nbgrader autograde` of one learner's one-cell Python notebook. Prints the times and the
ratios: the speed-up of two jobs, and the Elixir notebook's cost in Python notebooks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import course  # noqa: E402

EXERCISE = "03_classify_failures"


def run(command: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed


def nbgrader(cwd: Path, *args: str) -> float:
    return run([sys.executable, "-m", "nbgrader", *args], cwd)


def elixir_course(tmp: Path, learners: int) -> Path:
    (tmp / "course.toml").write_text(f'[[assignment]]\nid = "bench"\nexercises = ["{EXERCISE}"]\n')
    root = tmp / "elixir"
    course.build(root, tmp / "course.toml")
    nbgrader(root, "generate_assignment", "bench", "--force")
    fixes = [ROOT / "solutions" / EXERCISE / "charger.ex", None,
             *sorted((ROOT / "tests" / "exercises" / EXERCISE / "half").glob("*.ex"))]
    for n in range(learners):
        submitted = root / "submitted" / f"learner{n:02}" / "bench"
        shutil.copytree(root / "release" / "bench", submitted)
        fix = fixes[n % len(fixes)]
        if fix:
            path = submitted / f"{EXERCISE}.ipynb"
            notebook = nbformat.read(path, as_version=4)
            next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "pitfall").source = fix.read_text()
            nbformat.write(notebook, path)
    return root


def python_course(tmp: Path) -> Path:
    """nbgrader's own case: a Python notebook with one answer cell and one graded test cell."""
    root = tmp / "python"
    (root / "source" / "py").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    notebook = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    notebook.cells = [
        new_code_cell("x = 1\n### BEGIN SOLUTION\n### END SOLUTION",
                      metadata={"nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": "answer",
                                             "schema_version": 3}}),
        new_code_cell("assert x == 1", metadata={"nbgrader": {"solution": False, "grade": True, "locked": True,
                                                              "grade_id": "check", "points": 1, "schema_version": 3}}),
    ]
    nbformat.write(notebook, root / "source" / "py" / "py.ipynb")
    nbgrader(root, "generate_assignment", "py", "--force")
    shutil.copytree(root / "release" / "py", root / "submitted" / "learner00" / "py")
    return root


def fresh(root: Path) -> None:
    """No autograded copy and an empty gradebook: the next autograde grades everyone."""
    shutil.rmtree(root / "autograded", ignore_errors=True)
    shutil.rmtree(root / "logs", ignore_errors=True)
    (root / "gradebook.db").unlink(missing_ok=True)
    nbgrader(root, "generate_assignment", "bench", "--force")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        elixir = elixir_course(Path(tmp), args.learners)
        python = python_course(Path(tmp))
        cohort = {}
        for jobs in (1, 2):
            fresh(elixir)
            cohort[jobs] = run([sys.executable, "-m", "grader", "autograde", "bench", "--jobs", str(jobs)], elixir)
            print(f"cohort of {args.learners}, --jobs {jobs}: {cohort[jobs]:7.1f} s "
                  f"({cohort[jobs] / args.learners:.1f} s a learner)", flush=True)
        one_elixir = nbgrader(elixir, "autograde", "bench", "--student", "learner00", "--force")
        one_python = nbgrader(python, "autograde", "py", "--student", "learner00", "--force")
        print(f"one learner, nbgrader autograde: Elixir notebook {one_elixir:.1f} s, Python notebook {one_python:.1f} s")
        print(f"speed-up of --jobs 2: {cohort[1] / cohort[2]:.2f}x; "
              f"an Elixir notebook costs {one_elixir / one_python:.1f} Python notebooks")


if __name__ == "__main__":
    main()
