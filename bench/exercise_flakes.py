"""Flake check: each exercise's visible tests, run N times in a row on its reference solution.

    .venv/bin/python bench/exercise_flakes.py [--runs 100] [--exercise 08_retry_policy ...]

Runs `mix test` (random seed each time, as ExUnit does by default) in a scratch copy of the
exercise's project with the reference solution copied over the starter, and prints, per
exercise, how many runs passed and the seeds of any that failed. Not part of `make test`:
100 runs of 11 exercises take a while on two cores.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader import exercise as exercises  # noqa: E402


def check(ex, runs: int) -> tuple[int, list[str], float]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(ex.project_dir, project, ignore=shutil.ignore_patterns("_build", "deps"))
        shutil.copy(ex.solution_path, project / ex.starter_path.relative_to(ex.project_dir))
        subprocess.run(["mix", "compile"], cwd=project, capture_output=True, check=True)
        failed_seeds, started = [], time.monotonic()
        for _ in range(runs):
            run = subprocess.run(["mix", "test"], cwd=project, capture_output=True, text=True)
            if run.returncode != 0:
                seed = re.search(r"--seed (\d+)", run.stdout)
                failed_seeds.append(seed.group(1) if seed else "?")
        return runs - len(failed_seeds), failed_seeds, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--exercise", action="append", help="only these exercise ids")
    args = parser.parse_args()
    chosen = [ex for ex in exercises.load_all() if not args.exercise or ex.id in args.exercise]
    flaky = 0
    for ex in chosen:
        passed, seeds, seconds = check(ex, args.runs)
        flaky += bool(seeds)
        note = f"  FAILED with seeds {', '.join(seeds)}" if seeds else ""
        print(f"{ex.id:28} {passed:4}/{args.runs} passed  ({seconds / args.runs:.2f} s a run){note}", flush=True)
    return 1 if flaky else 0


if __name__ == "__main__":
    sys.exit(main())
