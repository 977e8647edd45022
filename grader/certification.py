"""Certification results from the gradebook, and certificates that can be checked against it.

``python -m grader certify ASSIGNMENT`` (in a course folder) reads each learner's grades of a
certification assignment (one with pass marks in ``course.toml``) from nbgrader's gradebook,
scores them per playbook section, and decides: **passed** (at least ``overall`` of the points and
at least ``per_section`` of each section's), **not passed**, or **pending** while a hand-graded
answer is not marked yet. Each passed learner gets a certificate carrying a verification code.

A code is an HMAC of what the certificate says (learner, assignment, scores, date), keyed by a
secret that never leaves the course folder (``.certificate-key``); every issued certificate is
kept in ``certificates.json``. ``python -m grader verify CODE`` finds the certificate, checks its
HMAC, and compares its scores with the gradebook as it is now; ``verify FILE`` also checks that
the certificate file says exactly what was issued. A made-up code, an edited certificate or a
grade changed since issue all fail, each with its reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from nbgrader.api import MissingEntry

from . import exercise as exercises
from .course import Assignment, CourseError, PassMarks, find_assignment, open_gradebook

KEY_FILE = ".certificate-key"
REGISTRY_FILE = "certificates.json"
CODE_PREFIX = "OTP"
PASSED, NOT_PASSED, PENDING = "passed", "not passed", "pending"


class CertificationError(Exception):
    """A certification cannot be computed or checked as asked; the message says what to do."""


@dataclass(frozen=True)
class Share:
    """Points earned out of points possible (of one exercise, one section, or all)."""

    score: float
    max_score: float

    @property
    def ratio(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0


@dataclass
class Result:
    """One learner's certification, as the report and the certificate show it."""

    student: str
    name: str
    assignment: str
    title: str
    overall: Share
    sections: dict[str, Share]
    exercises: dict[str, Share]
    marks: PassMarks
    status: str
    pending: list[str] = field(default_factory=list)
    """Exercises with an answer still to be graded by hand."""
    missing: list[str] = field(default_factory=list)
    """Exercises with no graded submission (they count as 0)."""

    @property
    def weak_sections(self) -> list[str]:
        return [name for name, share in self.sections.items() if share.ratio < self.marks.per_section]


# --- from the gradebook to results ---------------------------------------------------------


def certification(course: Path, assignment_id: str) -> Assignment:
    """The assignment as the course folder's manifest defines it; it must have pass marks."""
    manifest = Path(course) / "course.toml"
    if not manifest.is_file():
        raise CertificationError(f"{course} has no course.toml: run this in a folder made by "
                                 "`python -m grader course build DIR`")
    try:
        found = find_assignment(manifest, assignment_id)
    except CourseError as exc:
        raise CertificationError(str(exc)) from None
    if found.pass_marks is None:
        raise CertificationError(f"{assignment_id} has no pass marks in {manifest}: only an assignment with an "
                                 "[assignment.pass] table certifies")
    return found


def results(course: Path, assignment_id: str, db_url: str | None = None) -> list[Result]:
    """Every learner with a submission of the certification, from the gradebook."""
    assignment = certification(course, assignment_id)
    sections = {e: exercises.load(e).section for e in assignment.exercises}
    with open_gradebook(course, db_url) as gradebook:
        try:
            released = {nb.name: float(nb.max_score) for nb in gradebook.find_assignment(assignment_id).notebooks}
        except MissingEntry:
            raise CertificationError(f"the gradebook does not know {assignment_id}: release and autograde it first") from None
        found = []
        for submission in gradebook.assignment_submissions(assignment_id):
            notebooks = {nb.name: nb for nb in submission.notebooks}
            found.append(_result(assignment, sections, released, submission.student, notebooks))
    return sorted(found, key=lambda r: r.student)


def _result(assignment: Assignment, sections: dict[str, str], released: dict[str, float], student,
            notebooks: dict) -> Result:
    earned, pending, missing = {}, [], []
    for exercise_id in assignment.exercises:
        notebook = notebooks.get(exercise_id)
        if notebook is None:
            missing.append(exercise_id)
            earned[exercise_id] = Share(0.0, released.get(exercise_id, 0.0))
            continue
        earned[exercise_id] = Share(float(notebook.score), float(notebook.max_score))
        if notebook.needs_manual_grade:
            pending.append(exercise_id)
    by_section: dict[str, Share] = {}
    for exercise_id, share in earned.items():
        before = by_section.get(sections[exercise_id], Share(0.0, 0.0))
        by_section[sections[exercise_id]] = Share(before.score + share.score, before.max_score + share.max_score)
    overall = Share(sum(s.score for s in earned.values()), sum(s.max_score for s in earned.values()))
    marks = assignment.pass_marks
    met = overall.ratio >= marks.overall and all(s.ratio >= marks.per_section for s in by_section.values())
    status = PENDING if pending else (PASSED if met and not missing else NOT_PASSED)
    name = " ".join(filter(None, [student.first_name, student.last_name])) or student.id
    return Result(student.id, name, assignment.id, assignment.title or assignment.id, overall, by_section, earned,
                  marks, status, pending, missing)


# --- certificates and their codes ------------------------------------------------------------


def statement(result: Result, issued: date) -> dict:
    """What a certificate says: the signed content."""
    return {
        "student": result.student,
        "name": result.name,
        "assignment": result.assignment,
        "title": result.title,
        "score": round(result.overall.score, 2),
        "max_score": round(result.overall.max_score, 2),
        "sections": {name: [round(s.score, 2), round(s.max_score, 2)] for name, s in sorted(result.sections.items())},
        "issued": issued.isoformat(),
    }


def code_for(key: bytes, said: dict) -> str:
    """``OTP-XXXX-XXXX-XXXX-XXXX``: 80 bits of the HMAC of the statement, readable aloud."""
    digest = hmac.new(key, json.dumps(said, sort_keys=True, separators=(",", ":")).encode(), hashlib.sha256).digest()
    letters = base64.b32encode(digest[:10]).decode()
    return "-".join([CODE_PREFIX, *(letters[i:i + 4] for i in range(0, 16, 4))])


def key(course: Path) -> bytes:
    """The course's signing key, made on first use, readable by its owner only."""
    path = Path(course) / KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())


def registry(course: Path) -> dict[str, dict]:
    path = Path(course) / REGISTRY_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def issue(course: Path, result: Result, issued: date | None = None) -> tuple[str, dict]:
    """Signs a passed learner's certificate and records it; the same statement gives the same code."""
    if result.status != PASSED:
        raise CertificationError(f"{result.student} has not passed {result.assignment}: no certificate")
    issued_so_far = registry(course)
    said = statement(result, issued or date.today())
    for earlier in issued_so_far.values():  # certifying again the same grades keeps the first date
        if {**earlier, "issued": said["issued"]} == said and issued is None:
            said = earlier
    code = code_for(key(course), said)
    issued_so_far[code] = said
    path = Path(course) / REGISTRY_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(issued_so_far, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return code, said


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str
    statement: dict | None = None


def verify(course: Path, code_or_file: str, db_url: str | None = None) -> Verdict:
    """Checks a verification code, or a certificate file, against what was issued and the gradebook."""
    shown = None
    if Path(code_or_file).is_file():
        shown, code = read_certificate(Path(code_or_file))
    else:
        code = code_or_file.strip().upper()
    if not re.fullmatch(rf"{CODE_PREFIX}(-[A-Z2-7]{{4}}){{4}}", code):
        return Verdict(False, f"{code_or_file!r} is not a verification code (they look like OTP-ABCD-EFGH-IJKL-MNOP)")
    said = registry(course).get(code)
    if said is None:
        return Verdict(False, f"{code} was never issued by this course")
    if not hmac.compare_digest(code_for(key(course), said), code):
        return Verdict(False, f"the record of {code} was altered after it was issued")
    if shown is not None and shown != said:
        changed = sorted(k for k in set(shown) | set(said) if shown.get(k) != said.get(k))
        return Verdict(False, f"the certificate was edited: its {', '.join(changed)} differ from what was issued", said)
    now = {r.student: r for r in results(course, said["assignment"], db_url)}.get(said["student"])
    if now is None:
        return Verdict(False, f"{said['student']} has no graded submission of {said['assignment']} any more", said)
    current = statement(now, date.fromisoformat(said["issued"]))
    if current != said or now.status != PASSED:
        return Verdict(False, f"the gradebook changed since {said['issued']}: {said['student']} now has "
                              f"{current['score']:g} of {current['max_score']:g} points ({now.status})", said)
    return Verdict(True, f"valid: {said['name']} ({said['student']}) passed {said['title']} with {said['score']:g} of "
                         f"{said['max_score']:g} points, issued {said['issued']}", said)


_EMBEDDED = re.compile(r'<script type="application/json" id="certificate">(.*?)</script>', re.S)


def read_certificate(path: Path) -> tuple[dict | None, str]:
    """The statement and code a certificate file carries (None, "" when it carries none)."""
    found = _EMBEDDED.search(path.read_text(errors="replace"))
    if not found:
        return None, ""
    try:
        data = json.loads(found.group(1))
    except json.JSONDecodeError:
        return None, ""
    return data.get("statement"), str(data.get("code", ""))
