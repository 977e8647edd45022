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
`--resume-from ID/NAME` starts at that half-fix; `--only ID/NAME` (repeatable) grades just those. `--record` writes each half-fix's score into its clause (`score = N`). `--jobs N` grades N at a
time: most of a half-fix's grading is waiting for the timeouts it trips, so 4 jobs on two cores
finish about three times sooner, and the load they add is part of the check.
Not part of `make test`: 100 runs of 11 exercises take hours on two cores.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader import engine  # noqa: E402
from grader import exercise as exercises  # noqa: E402
from tests.exercises.clauses import clause_of, fix_files, recorded_score  # noqa: E402

TESTS = Path(__file__).resolve().parents[1] / "tests" / "exercises"


def check_half_fixes(chosen, runs: int, record: bool = False, jobs: int = 1, resume_from: str | None = None,
                     only: list[str] | None = None) -> int:
    """Grades every half-fix of the chosen exercises `runs` times, `jobs` gradings at a time
    (from `resume_from`, "ID/NAME", on; or just those named in `only`); returns how many
    half-fixes escaped or varied on some run."""
    named = {f"{ex.id}/{path.stem}": (ex, path) for ex in chosen for path in fix_files(ex.id, "half")}
    names = list(named)
    for name in [resume_from] * bool(resume_from) + (only or []):
        if name not in named:
            sys.exit(f"{name}: no such half-fix (give EXERCISE_ID/NAME, e.g. {names[0]})")
    if resume_from:
        names = names[names.index(resume_from):]
    half_fixes = [named[name] for name in names if not only or name in only]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        # Submitted in order, so each half-fix's line is printed as soon as its runs are done.
        gradings = [[pool.submit(engine.grade, ex, path.read_text()) for _ in range(runs)] for ex, path in half_fixes]
        bad, recorded = 0, {}
        for (ex, path), futures in zip(half_fixes, gradings):
            grades = [f.result() for f in futures]
            bad += not report_half_fix(ex, path, grades)
            if len({g.score for g in grades}) == 1:
                recorded.setdefault(ex.id, {})[path.stem] = grades[0].score
    if record:
        for exercise_id, scores in recorded.items():
            record_scores(exercise_id, scores)
    return bad


def report_half_fix(ex, path: Path, grades) -> bool:
    """Prints one half-fix's line; False if it escaped on some run, or its score varied beyond what its clause allows."""
    clause = clause_of(ex.id, path.stem) or {}
    escapes = sum(g.score >= g.max_score or any(t.status == "pass" and t.name in clause.get("tests", []) for t in g.tests)
                  for g in grades)
    scores = sorted({g.score for g in grades})
    expected = recorded_score(clause or None)
    off = expected is not None and not all(expected[0] <= s <= expected[1] for s in scores)
    note = f"  ESCAPED on {escapes} runs" if escapes else ""
    note += f"  SCORES VARY: {scores}" if len(scores) > 1 else ""
    note += f"  NOT THE RECORDED {expected[0]:g}-{expected[1]:g}" if off else ""
    print(f"{ex.id:28} {path.stem:40} lost on {len(grades) - escapes:4}/{len(grades)}, "
          f"score {'/'.join(f'{s:g}' for s in scores)}{note}", flush=True)
    for line in varying_tests(grades):
        print(f"{'':28}   {line}", flush=True)
    return not (escapes or off or (len(scores) > 1 and not is_range(expected)))


def varying_tests(grades) -> list[str]:
    """The tests that passed on some runs and not on others, each with how often it failed and
    its first failure message: what to make deterministic when a score varies."""
    failures: dict[str, list[str]] = {}
    for grade in grades:
        for test in grade.tests:
            failures.setdefault(test.name, [])
            if test.status != "pass":
                failures[test.name].append(test.message)
    return [f"failed {len(messages)}/{len(grades)}: {name}: {messages[0].splitlines()[0][:160] if messages[0] else '(no message)'}"
            for name, messages in failures.items() if 0 < len(messages) < len(grades)]


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
    parser.add_argument("--jobs", type=int, default=1, help="with --half: gradings run at a time (each in its own sandbox)")
    parser.add_argument("--resume-from", metavar="ID/NAME", help="with --half: start at this half-fix (a long run cut short)")
    parser.add_argument("--only", metavar="ID/NAME", action="append", help="with --half: only this half-fix (repeat for more)")
    args = parser.parse_args()
    chosen = [ex for ex in exercises.load_all() if not args.exercise or ex.id in args.exercise]
    if args.half:
        return 1 if check_half_fixes(chosen, args.runs, args.record, args.jobs, args.resume_from, args.only) else 0
    flaky = 0
    for ex in chosen:
        passed, seeds, seconds = check(ex, args.runs)
        flaky += bool(seeds)
        note = f"  FAILED with seeds {', '.join(seeds)}" if seeds else ""
        print(f"{ex.id:28} {passed:4}/{args.runs} passed  ({seconds / args.runs:.2f} s a run){note}", flush=True)
    return 1 if flaky else 0


if __name__ == "__main__":
    sys.exit(main())
