"""Flake check: each exercise's tests, visible and hidden, run N times in a row on its reference solution.

    .venv/bin/python bench/exercise_flakes.py [--runs 100] [--exercise 08_retry_policy ...]

    .venv/bin/python bench/exercise_flakes.py --half [--runs 20] [--record] [--exercise ...]

Runs `mix test` (random seed each time, as ExUnit does by default) in a scratch copy of the
exercise's project with the reference solution copied over the starter and the hidden tests in
test/hidden/, and prints, per exercise, how many runs passed and the seeds of any that failed.
With `--half`, grades each
half-fix in `tests/exercises/<id>/half/` N times instead and prints the runs in which it got
full marks or passed a test of the clause it breaks (`clauses.toml`), and any half-fix whose
score differs from run to run or from the one recorded in its clause: a half-fix must lose the
same points on every run and every toolchain (run it in the Debian 13 root too:
`toolchains/debian.sh trixie run --offline .venv/bin/python bench/exercise_flakes.py --half --runs 1`).
`--record` writes each half-fix's score into its clause (`score = N`). Not part of `make test`: 100 runs of 11 exercises take a while on two cores.
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

from grader import engine  # noqa: E402
from grader import exercise as exercises  # noqa: E402
from tests.exercises.clauses import clause_of, recorded_score  # noqa: E402

TESTS = Path(__file__).resolve().parents[1] / "tests" / "exercises"


def check_half_fixes(ex, runs: int, record: bool = False) -> int:
    """Grades every half-fix `runs` times; returns how many of them escaped or varied on some run."""
    bad = 0
    recorded = {}
    for path in sorted((TESTS / ex.id / "half").glob("*.ex")):
        clause, escapes, scores = (clause_of(ex.id, path.stem) or {}).get("tests", []), 0, set()
        for _ in range(runs):
            grade = engine.grade(ex, path.read_text())
            passed = [t.name for t in grade.tests if t.status == "pass" and t.name in clause]
            escapes += grade.score >= grade.max_score or bool(passed)
            scores.add(grade.score)
        expected = recorded_score(clause_of(ex.id, path.stem))
        off = expected is not None and not all(expected[0] <= s <= expected[1] for s in scores)
        bad += bool(escapes) or off or (len(scores) > 1 and not is_range(expected))
        note = f"  ESCAPED on {escapes} runs" if escapes else ""
        note += f"  SCORES VARY: {sorted(scores)}" if len(scores) > 1 else ""
        note += f"  NOT THE RECORDED {expected[0]:g}-{expected[1]:g}" if off else ""
        print(f"{ex.id:28} {path.stem:40} lost on {runs - escapes:4}/{runs}, "
              f"score {'/'.join(f'{s:g}' for s in sorted(scores))}{note}", flush=True)
        if len(scores) == 1:
            recorded[path.stem] = scores.pop()
    if record:
        record_scores(ex.id, recorded)
    return bad


def is_range(expected: tuple[float, float] | None) -> bool:
    """A recorded range belongs to a half-fix racy by design: its grade may vary within it."""
    return expected is not None and expected[0] < expected[1]


def record_scores(exercise_id: str, scores: dict[str, float]) -> None:
    """Writes `score = N` under each clause's `half_fix = "..."` line, replacing an older score."""
    path = TESTS / exercise_id / "clauses.toml"
    # A range (`score = [low, high]`) is written by hand for a half-fix racy by design: kept.
    scores = {name: score for name, score in scores.items() if not is_range(recorded_score(clause_of(exercise_id, name)))}
    text = re.sub(r"\nscore = [\d.]+(?=\n)", "", path.read_text())

    def with_score(match: re.Match) -> str:
        score = scores.get(match.group(1))
        return match.group(0) if score is None else f"{match.group(0)}\nscore = {score:g}"

    path.write_text(re.sub(r'^half_fix = "([^"]+)"$', with_score, text, flags=re.M))


def check(ex, runs: int) -> tuple[int, list[str], float]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(ex.project_dir, project, ignore=shutil.ignore_patterns("_build", "deps"))
        shutil.copy(ex.solution_path, project / ex.starter_path.relative_to(ex.project_dir))
        (project / "test" / "hidden").mkdir()
        for hidden in ex.hidden_test_files:
            shutil.copy(hidden, project / "test" / "hidden" / hidden.name)
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
    parser.add_argument("--half", action="store_true", help="grade the half-fixes instead of the references")
    parser.add_argument("--record", action="store_true", help="with --half: write each half-fix's score into clauses.toml")
    args = parser.parse_args()
    chosen = [ex for ex in exercises.load_all() if not args.exercise or ex.id in args.exercise]
    if args.half:
        return 1 if sum(check_half_fixes(ex, args.runs, args.record) for ex in chosen) else 0
    flaky = 0
    for ex in chosen:
        passed, seeds, seconds = check(ex, args.runs)
        flaky += bool(seeds)
        note = f"  FAILED with seeds {', '.join(seeds)}" if seeds else ""
        print(f"{ex.id:28} {passed:4}/{args.runs} passed  ({seconds / args.runs:.2f} s a run){note}", flush=True)
    return 1 if flaky else 0


if __name__ == "__main__":
    sys.exit(main())
