"""Parallel autograde: ``python -m grader autograde ASSIGNMENT --jobs N``, run in a course folder.

nbgrader's ``autograde`` grades a cohort one learner after another. Here each learner's
submission gets nbgrader's own ``nbgrader autograde ASSIGNMENT --student ID``, N at a time, all
into the same gradebook, so everything after it (formgrader, ``generate_feedback``, ``export``)
is plain nbgrader. Each learner's run is a separate process with its own time limit: one that
fails or overruns is stopped and reported with its log, and the others go on.

SQLite lets one writer at a time: the runs wait up to a minute for the gradebook
(``?timeout=60``) instead of failing at once. ``--db`` takes any SQLAlchemy URL, e.g.
``postgresql://...`` for a gradebook several graders share (install its driver first).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from iex_kernel.session import descendants
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy import create_engine, inspect
from tqdm import tqdm

DEFAULT_TIMEOUT_SECONDS = 30 * 60
LOG_TAIL = 2000


class AutogradeError(Exception):
    """Nothing can be graded as asked (not a course folder, no submission...)."""


@dataclass(frozen=True)
class Outcome:
    student: str
    ok: bool
    seconds: float
    reason: str = ""
    """Why the run failed, with the end of its log; empty when it succeeded."""
    log: Path | None = None


def submitted_students(course: Path, assignment: str) -> list[str]:
    """Learners with a submission of ``assignment`` (nbgrader's ``submitted/<learner>/<assignment>/``)."""
    return sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())


def default_db_url(course: Path) -> str:
    return f"sqlite:///{(course / 'gradebook.db').resolve()}?timeout=60"


def run(course: Path, assignment: str, *, jobs: int = 1, students: list[str] | None = None, db_url: str | None = None,
        force: bool = False, timeout: float = DEFAULT_TIMEOUT_SECONDS, progress: bool = True) -> list[Outcome]:
    """Autogrades every learner's submission (or ``students``'), ``jobs`` at a time."""
    course = Path(course).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise AutogradeError(f"{course} has no nbgrader_config.py: run this in a course folder "
                             "(`python -m grader course build DIR` makes one)")
    if jobs < 1:
        raise AutogradeError(f"--jobs {jobs}: give 1 or more")
    found = submitted_students(course, assignment)
    chosen = students or found
    missing = sorted(set(chosen) - set(found))
    if missing:
        raise AutogradeError(f"no submission of {assignment} for {', '.join(missing)} "
                             f"(expected in submitted/<learner>/{assignment}/)")
    if not chosen:
        raise AutogradeError(f"no submission of {assignment} in {course / 'submitted'}: collect them first "
                             f"(nbgrader collect or zip_collect, or copy them to submitted/<learner>/{assignment}/)")
    url = db_url or default_db_url(course)
    _check_gradebook(url, assignment)
    logs = course / "logs" / "autograde" / assignment
    logs.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with ThreadPoolExecutor(max_workers=jobs) as pool, \
            tqdm(total=len(chosen), unit="learner", desc=f"autograde {assignment}", disable=not progress,
                 file=sys.stderr) as bar:
        running = [pool.submit(_grade_one, course, assignment, student, url, force, timeout, logs / f"{student}.log")
                   for student in chosen]
        for future in as_completed(running):
            outcome = future.result()
            outcomes.append(outcome)
            bar.update()
            if not outcome.ok:
                bar.write(f"{outcome.student}: not graded: {outcome.reason.splitlines()[0]}")
    return sorted(outcomes, key=lambda o: o.student)


def _check_gradebook(url: str, assignment: str) -> None:
    """nbgrader grades only an assignment its gradebook knows (``generate_assignment`` adds it)."""
    try:
        engine = create_engine(url)
        try:
            known = bool(inspect(engine).get_table_names())  # a new gradebook has no table yet
        finally:
            engine.dispose()
        if not known:
            raise MissingEntry(assignment)
        with Gradebook(url) as gradebook:
            gradebook.find_assignment(assignment)
    except MissingEntry:
        db = "" if url.startswith("sqlite:///") and url.endswith("gradebook.db?timeout=60") else f" --db {url}"
        raise AutogradeError(f"the gradebook does not know the assignment {assignment}: run "
                             f"`nbgrader generate_assignment {assignment}{db}` first") from None
    except Exception as exc:  # SQLAlchemy's errors: a bad URL, a missing driver, a server that is down
        raise AutogradeError(f"cannot open the gradebook {url}: {exc}") from None


def _grade_one(course: Path, assignment: str, student: str, db_url: str, force: bool, timeout: float,
               log: Path) -> Outcome:
    command = _command(assignment, student, db_url, force)
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=course, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, env=_environment())
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return Outcome(student, False, time.monotonic() - started,
                           f"stopped after {timeout:g} s (a notebook that never finishes?); log: {log}", log)
    seconds = time.monotonic() - started
    if code != 0:
        return Outcome(student, False, seconds, f"nbgrader autograde exited with {code}; log: {log}\n{_tail(log)}", log)
    return Outcome(student, True, seconds, "", log)


def _command(assignment: str, student: str, db_url: str, force: bool) -> list[str]:
    return [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student,
            f"--CourseDirectory.db_url={db_url}", *(["--force"] if force else [])]


def _environment() -> dict[str, str]:
    """nbgrader from this Python, whatever the PATH says."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def _stop(process: subprocess.Popen) -> None:
    """Ends the run and everything it started: Jupyter starts kernels in sessions of their own,
    so its process group is not enough."""
    for pid in [process.pid, *descendants(process.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def _tail(log: Path) -> str:
    text = log.read_text(errors="replace").strip()
    return text[-LOG_TAIL:]


def summary(outcomes: list[Outcome]) -> str:
    """What the instructor reads at the end: how many were graded, and each one that was not."""
    failed = [o for o in outcomes if not o.ok]
    total = sum(o.seconds for o in outcomes)
    lines = [f"{len(outcomes) - len(failed)} of {len(outcomes)} submissions graded "
             f"({total:.0f} s of grading in all)."]
    lines += [f"  {o.student}: {o.reason.splitlines()[0]}" for o in failed]
    if failed:
        lines.append("Fix what the log says, then grade those again: "
                     "python -m grader autograde ASSIGNMENT --student ID --force")
    return "\n".join(lines)
