"""Command line: ``python -m grader exercises --json``, ``python -m grader check ID FILE [--json]``,
``python -m grader learner-lab`` (what ``make lab`` runs), and for instructors, in a course folder
``python -m grader course build DIR``, ``python -m grader autograde ASSIGNMENT --jobs N``,
``python -m grader certify ASSIGNMENT``, ``python -m grader verify CODE`` and
``python -m grader cohort ASSIGNMENT``.

Exit codes: 0 whenever a grade was produced (whatever the score), 2 for bad arguments or
a file that cannot be graded, 1 for an internal failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import autograde, certification, certification_report, cohort, course, engine, learner_lab, report
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
    check.add_argument("--require-sandbox", action="store_true",
                       help="refuse to grade (exit 1) when bubblewrap cannot run, rather than grade with fewer protections")
    lab = sub.add_parser("learner-lab", help="make or complete the learner's workspace, then open JupyterLab on it")
    lab.add_argument("--workspace", default="workspace", help="the learner's folder (default: workspace)")
    lab.add_argument("--build-only", action="store_true", help="make the workspace, do not start JupyterLab")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    course_parser = sub.add_parser("course", help="an nbgrader course folder for a workshop or a certification")
    course_sub = course_parser.add_subparsers(dest="course_command", required=True)
    build = course_sub.add_parser("build", help="make or refresh the course folder DIR from the manifest")
    build.add_argument("dir")
    build.add_argument("--manifest", help="the assignments (default: course.toml in the repository)")
    grade = sub.add_parser("autograde", help="nbgrader autograde of every learner's submission, N at a time "
                                             "(run in the course folder)")
    grade.add_argument("assignment")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                       help="submissions graded at a time (default: one per CPU)")
    grade.add_argument("--student", action="append", help="only this learner (repeat for more)")
    _gradebook_option(grade)
    grade.add_argument("--force", action="store_true", help="grade again submissions already autograded")
    grade.add_argument("--timeout", type=float, default=autograde.DEFAULT_TIMEOUT_SECONDS,
                       help="seconds one learner's submission may take (default: %(default)g)")
    certify = sub.add_parser("certify", help="each learner's certification report, and certificates for those who "
                                             "passed (run in the course folder)")
    certify.add_argument("assignment")
    certify.add_argument("--out", help="where the pages go (default: reports/ASSIGNMENT)")
    _gradebook_option(certify)
    verify = sub.add_parser("verify", help="check a certificate's verification code, or a certificate file, "
                                           "against the gradebook (run in the course folder)")
    verify.add_argument("code_or_file")
    _gradebook_option(verify)
    overview = sub.add_parser("cohort", help="plots of a cohort's results as PNG: score per exercise, most-failed "
                                             "tests, time to pass (run in the course folder)")
    overview.add_argument("assignment")
    overview.add_argument("--out", help="where the plots go (default: reports/ASSIGNMENT)")
    _gradebook_option(overview)
    return p


def _gradebook_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--db", help="the gradebook's SQLAlchemy URL (default: gradebook.db in the course folder)")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "exercises":
            return _exercises(args)
        if args.command == "learner-lab":
            return _learner_lab(args)
        if args.command == "course":
            return _course_build(args)
        if args.command == "autograde":
            return _autograde(args)
        if args.command == "certify":
            return _certify(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "cohort":
            return _cohort(args)
        return _check(args)
    except (course.CourseError, autograde.AutogradeError, certification.CertificationError,
            cohort.CohortError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (learner_lab.WorkspaceError, engine.SandboxUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
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
    grade = engine.grade(exercise, source, include_hidden=not args.visible_only, source_label=args.file,
                         require_sandbox=args.require_sandbox)
    if args.json:
        print(json.dumps(grade.to_json(), indent=2, ensure_ascii=False))
    else:
        print(report.text(grade))
    return 0


def _course_build(args) -> int:
    target = Path(args.dir)
    try:
        assignments = course.build(target, args.manifest)
    except OSError as exc:
        raise course.CourseError(f"cannot write the course folder {target}: {exc}") from None
    print(f"The course folder {target.resolve()} holds {len(assignments)} assignment{'' if len(assignments) == 1 else 's'}:")
    for assignment in assignments:
        marks = assignment.pass_marks
        certifies = f"  (certification: pass at {marks.overall:.0%}, {marks.per_section:.0%} per section)" if marks else ""
        count = len(assignment.exercises)
        print(f"  {assignment.id:22} {count:2} exercise{'' if count == 1 else 's'}{certifies}")
    print(f"Next, from {target}: nbgrader generate_assignment ASSIGNMENT, then hand out release/ASSIGNMENT.")
    return 0


def _autograde(args) -> int:
    outcomes = autograde.run(Path.cwd(), args.assignment, jobs=args.jobs, students=args.student, db_url=args.db,
                             force=args.force, timeout=args.timeout, progress=sys.stderr.isatty())
    print(autograde.summary(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


def _certify(args) -> int:
    results, codes, out = certification_report.write(Path.cwd(), args.assignment, args.out, args.db)
    for result in results:
        share = certification_report.percent(result.overall.ratio)
        print(f"{result.student:24} {share:>8}  {result.status:11} {codes.get(result.student, '')}")
    print(f"{len(codes)} of {len(results)} learners passed. Reports: {out / 'index.html'}")
    return 0


def _verify(args) -> int:
    verdict = certification.verify(Path.cwd(), args.code_or_file, args.db)
    print(verdict.reason)
    return 0 if verdict.valid else 1


def _cohort(args) -> int:
    data = cohort.load(Path.cwd(), args.assignment, args.db)
    for path in cohort.write(data, Path(args.out or Path("reports") / args.assignment)):
        print(path)
    return 0


def _learner_lab(args) -> int:
    workspace = Path(args.workspace)
    try:
        built = learner_lab.build(workspace)
    except OSError as exc:
        raise learner_lab.WorkspaceError(f"cannot write the workspace {workspace}: {exc}") from None
    print(f"Your workspace is {workspace.resolve()}: {built.summary()}.")
    if args.build_only:
        return 0
    command, env = learner_lab.lab_command(workspace, open_browser=not args.no_browser)
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    sys.exit(main())
