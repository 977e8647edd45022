"""Grades an exercise's reference solution N times and compares with a bare `mix test`.

    .venv/bin/python bench/grader_bench.py [EXERCISE_ID] [-n N]

Prints the median wall time of `python -m grader check EXERCISE_ID SOLUTION --json` next to
the floor: `mix test` on a copy of the same project (hidden tests included, skeleton already
built) with the solution copied in by hand, so Mix recompiles that one file as the grader
does. Target: the grader within 1.5x of the floor. The runs alternate (grader, floor, floor
again), so a change in the machine's load weighs on both sides alike. Beside it: the time of
`nbgrader autograde` of one learner's notebook with the reference fix in its solution cell.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import engine, exercise  # noqa: E402


def timed(cmd, cwd, env=None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 2) or ("check" in cmd and '"status": "pass"' not in proc.stdout):
        sys.exit(f"run failed: {' '.join(map(str, cmd))}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def bare_project(ex: exercise.Exercise, root: Path) -> Path:
    """The exercise project with the hidden tests, built once with the starter."""
    project = root / "built"
    shutil.copytree(ex.project_dir, project, ignore=shutil.ignore_patterns("_build", "deps"))
    hidden = project / "test" / "hidden"
    hidden.mkdir()
    for test in ex.hidden_test_files:
        shutil.copy2(test, hidden / test.name)
    subprocess.run(["mix", "test"], cwd=project, env=mix_env(), capture_output=True)
    return project


def mix_env() -> dict:
    return {**os.environ, "MIX_ENV": "test", "LANG": "C.UTF-8"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercise_id", nargs="?", default="03_classify_failures")
    parser.add_argument("-n", type=int, default=10)
    args = parser.parse_args()
    ex = exercise.load(args.exercise_id)
    engine.grade(ex, ex.solution_path.read_text())  # warm the caches, as any second run finds them

    check = [sys.executable, "-m", "grader", "check", ex.id, str(ex.solution_path), "--json"]
    grader_times, floor_times, warm_times = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        built = bare_project(ex, Path(tmp))
        for i in range(args.n):
            grader_times.append(timed(check, cwd=ex.root))
            run_dir = Path(tmp) / f"run{i}"
            shutil.copytree(built, run_dir, symlinks=True)
            shutil.copy(ex.solution_path, run_dir / ex.learner_file)
            floor_times.append(timed(["mix", "test", "--seed", "0"], cwd=run_dir, env=mix_env()))
            warm_times.append(timed(["mix", "test", "--seed", "0"], cwd=run_dir, env=mix_env()))
        autograde_times = autograde(ex, Path(tmp) / "course", runs=max(1, min(3, args.n)))

    grader_median = statistics.median(grader_times)
    floor_median = statistics.median(floor_times)
    print(f"exercise {ex.id}, {args.n} runs each (median wall time)")
    print(f"  python -m grader check (sandboxed, visible + hidden)   {grader_median:6.3f} s")
    print(f"  bare mix test, solution copied in (recompiles 1 file)  {floor_median:6.3f} s")
    print(f"  bare mix test, nothing to compile                     {statistics.median(warm_times):6.3f} s")
    print(f"  ratio grader / floor                                   {grader_median / floor_median:6.2f}x (target <= 1.5x)")
    print(f"  nbgrader autograde of one notebook ({len(autograde_times)} runs)             {statistics.median(autograde_times):6.3f} s")


def autograde(ex: exercise.Exercise, course: Path, runs: int) -> list[float]:
    """Times `nbgrader autograde` of one learner whose notebook holds the reference fix."""
    import nbformat

    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    nbgrader = [sys.executable, "-m", "nbgrader"]
    course.mkdir()
    shutil.copy(repo / "nbgrader_config.py", course)
    shutil.copytree(ex.dir, course / "exercises" / ex.id, ignore=shutil.ignore_patterns("_build", "deps"))
    subprocess.run([*nbgrader, "generate_assignment", ex.id, "--force"], cwd=course, env=env, check=True,
                   capture_output=True)
    submitted = course / "submitted" / "bench" / ex.id
    shutil.copytree(course / "release" / ex.id, submitted)
    path = submitted / f"{ex.id}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "pitfall":
            cell.source = ex.solution_path.read_text()
    nbformat.write(notebook, path)
    command = [*nbgrader, "autograde", ex.id, "--student", "bench", "--force"]
    return [timed(command, cwd=course, env=env) for _ in range(runs)]


if __name__ == "__main__":
    main()
