"""Command line: ``python -m grader exercises --json`` and ``python -m grader check ID FILE [--json]``.

Exit codes: 0 whenever a grade was produced (whatever the score), 2 for bad arguments or
a file that cannot be graded, 1 for an internal failure.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import engine, report
from .exercise import ExerciseError, load, load_all
from .results import number
from .toolchain import ToolchainError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m grader", description="Grades Elixir exercises by running mix test in a sandbox.")
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("exercises", help="list the exercises")
    ex.add_argument("--json", action="store_true", help="print a JSON list")
    check = sub.add_parser("check", help="grade FILE as the learner's code for EXERCISE_ID")
    check.add_argument("exercise_id")
    check.add_argument("file")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--visible-only", action="store_true", help="run the visible tests only")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "exercises":
            return _exercises(args)
        return _check(args)
    except (ExerciseError, engine.SubmissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ToolchainError as exc:
        print(f"internal error: {exc}", file=sys.stderr)
        return 1


def _exercises(args) -> int:
    items = [e.to_json(number(engine.max_score(e))) for e in load_all()]
    if args.json:
        print(json.dumps(items, indent=2, ensure_ascii=False))
    else:
        for item in items:
            print(f"{item['id']:28} {item['max_score']:>5}  [{item['section']}] {item['title']}")
    return 0


def _check(args) -> int:
    exercise = load(args.exercise_id)
    source = engine.read_submission(args.file)
    grade = engine.grade(exercise, source, include_hidden=not args.visible_only, source_label=args.file)
    if args.json:
        print(json.dumps(grade.to_json(), indent=2, ensure_ascii=False))
    else:
        print(report.text(grade))
    return 0


if __name__ == "__main__":
    sys.exit(main())
