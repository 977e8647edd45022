"""An nbgrader course folder built from the course's exercises: ``python -m grader course build DIR``.

The assignments come from one manifest (``course.toml`` at the repository's root by default):
each hands out several exercises together, and one may be a certification with pass marks.
The folder it makes is nbgrader's own layout, so every later step is a plain nbgrader command::

    DIR/nbgrader_config.py          the course's settings (grader/nbgrader_settings.py), pointing
                                    at this repository, the instructor's copy: the grader reads
                                    the exercises' projects, solutions and hidden tests there
    DIR/course.toml                 the manifest it was built from (reports read the pass marks)
    DIR/source/<assignment>/<exercise>.ipynb      one notebook per exercise, at the top (nbgrader
    DIR/source/<assignment>/<exercise>/project/   finds notebooks there only), its files beside it

The source folders hold what a learner may see: the notebooks and mix projects, never solutions
or hidden tests. Building again rewrites only ``source/`` of the manifest's assignments and the
two files above: the gradebook, ``release/``, ``submitted/``, ``autograded/`` and ``feedback/``
are never touched. A folder that is not empty and was not made by this command is refused.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import exercise as exercises

MARKER = ".otp-playbook-course"
_ID = re.compile(r"[a-z][a-z0-9_]{0,62}")
_PROJECT_PATH = re.compile(r'"project(?=[/"])')


class CourseError(Exception):
    """The manifest or the target folder cannot make a course; the message says what to change."""


@dataclass(frozen=True)
class PassMarks:
    overall: float
    """Share of the assignment's points a learner needs."""
    per_section: float
    """Share of each playbook section's points a learner needs."""


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    exercises: tuple[str, ...]
    pass_marks: PassMarks | None = None
    """Set for a certification."""


def open_gradebook(course: Path, db_url: str | None = None):
    """The course folder's gradebook (``gradebook.db``, or ``db_url``), for reading what autograde wrote."""
    from nbgrader.api import Gradebook  # nbgrader's database layer: only the instructor's commands need it

    url = db_url or f"sqlite:///{(Path(course) / 'gradebook.db').resolve()}"
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise CourseError(f"no gradebook at {url}: autograde the submissions first")
    return Gradebook(url)


def default_manifest() -> Path:
    return exercises.repo_root() / "course.toml"


def load_manifest(path: Path | None = None) -> list[Assignment]:
    """The manifest's assignments, checked against the exercises that exist."""
    path = Path(path or default_manifest())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CourseError(f"cannot read the manifest {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path}: not valid TOML ({exc})") from None
    known = {ex.id for ex in exercises.load_all()}
    entries = data.get("assignment")
    if not isinstance(entries, list) or not entries:
        raise CourseError(f"{path}: no [[assignment]] table: list at least one assignment")
    assignments = [_assignment(entry, known, f"{path}: assignment {n}") for n, entry in enumerate(entries, 1)]
    ids = [a.id for a in assignments]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise CourseError(f"{path}: two assignments have the id {', '.join(twice)}: ids name folders, make them unique")
    return assignments


def find_assignment(manifest: Path, assignment_id: str) -> Assignment:
    """One assignment of a manifest, by its id."""
    for assignment in load_manifest(manifest):
        if assignment.id == assignment_id:
            return assignment
    raise CourseError(f"no assignment {assignment_id} in {manifest}")


def _assignment(entry, known: set[str], where: str) -> Assignment:
    if not isinstance(entry, dict):
        raise CourseError(f"{where}: not a table")
    ident, title, chosen = entry.get("id"), entry.get("title", ""), entry.get("exercises")
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        raise CourseError(f"{where}: id {ident!r} must be lowercase letters, digits and _ (it names a folder)")
    where = f"{where} ({ident})"
    if not isinstance(chosen, list) or not chosen or not all(isinstance(e, str) for e in chosen):
        raise CourseError(f"{where}: `exercises` must be a non-empty list of exercise ids")
    unknown = [e for e in chosen if e not in known]
    if unknown:
        raise CourseError(f"{where}: no such exercise {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    if len(set(chosen)) != len(chosen):
        raise CourseError(f"{where}: an exercise is listed twice")
    return Assignment(ident, str(title), tuple(chosen), _pass_marks(entry.get("pass"), where))


def _pass_marks(table, where: str) -> PassMarks | None:
    if table is None:
        return None
    marks = {}
    for key in ("overall", "per_section"):
        value = table.get(key) if isinstance(table, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise CourseError(f"{where}: [assignment.pass] {key} must be a share of the points, above 0 and at most 1 "
                              f"(0.75 is 75 %), not {value!r}")
        marks[key] = float(value)
    return PassMarks(**marks)


def build(target: Path, manifest: Path | None = None) -> list[Assignment]:
    """Makes or refreshes the course folder ``target``; returns the assignments built."""
    manifest = Path(manifest or default_manifest()).resolve()
    assignments = load_manifest(manifest)
    target = Path(target)
    _check_target(target)
    target.mkdir(parents=True, exist_ok=True)
    (target / MARKER).write_text(json.dumps({"repository": str(exercises.repo_root())}) + "\n")
    (target / "nbgrader_config.py").write_text(_config())
    shutil.copyfile(manifest, target / "course.toml")
    for assignment in assignments:
        _build_source(target / "source", assignment)
    return assignments


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise CourseError(f"{target} is a file: give a folder for the course (nothing was written)")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise CourseError(f"{target} is not empty and was not made by `python -m grader course build`: "
                          "give a new or empty folder (nothing was written)")


def _config() -> str:
    root = exercises.repo_root()
    return f'''"""nbgrader settings of a course built by `python -m grader course build` from {root}.

Rebuilding the course rewrites this file. The grader reads the exercises, solutions and hidden
tests from that repository (OTP_COURSE_ROOT); this folder holds only what nbgrader makes.
"""

import os
import sys

os.environ.setdefault("OTP_COURSE_ROOT", {str(root)!r})
sys.path.insert(0, {str(root)!r})

from grader.nbgrader_settings import configure  # noqa: E402

configure(get_config(), source_directory="source")  # noqa: F821 (get_config is nbgrader's)
'''


def _build_source(source: Path, assignment: Assignment) -> None:
    """Writes ``source/<assignment>`` next to the old one, then swaps them."""
    source.mkdir(exist_ok=True)
    final, fresh, old = source / assignment.id, source / f".{assignment.id}.new", source / f".{assignment.id}.old"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh.mkdir()
    for exercise_id in assignment.exercises:
        _add_exercise(fresh, exercises.load(exercise_id))
    if final.exists():
        final.rename(old)
    fresh.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _add_exercise(folder: Path, ex: exercises.Exercise) -> None:
    notebook_path = ex.dir / f"{ex.id}.ipynb"
    shutil.copytree(ex.dir, folder / ex.id, ignore=shutil.ignore_patterns("_build", "deps", "*.ipynb", ".ipynb_checkpoints"))
    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = in_subfolder(cell.source, ex.id)
    nbformat.write(notebook, folder / notebook_path.name)


def in_subfolder(code: str, exercise_id: str) -> str:
    """A notebook's paths into its exercise's folder, from the assignment's folder.

    >>> in_subfolder('Code.require_file("project/lib/a.ex")\\nSystem.cmd("mix", ["test"], cd: "project")', "03_x")
    'Code.require_file("03_x/project/lib/a.ex")\\nSystem.cmd("mix", ["test"], cd: "03_x/project")'
    """
    return _PROJECT_PATH.sub(f'"{exercise_id}/project', code)
