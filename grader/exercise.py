"""Exercise metadata: where an exercise's project, starter, solution and tests live.

Layout of an exercise (``<id>`` is ``NN_slug``)::

    exercises/<id>/exercise.toml     title, section, starter, solution, notebook,
                                     [limits] timeout_seconds / test_timeout_seconds / memory_mb,
                                     [policy] allow / quiet,
                                     [gate] points for the validation gate's checks (see grader/gate.py)
    exercises/<id>/project/          a mix project; `mix test` there runs the visible tests
        mix.exs, lib/..., test/test_helper.exs, test/**/*_test.exs
    solutions/<id>/<file>.ex         the reference fix of the starter file
    grader/hidden/<id>/*_test.exs    hidden tests (copied to project/test/hidden/ to run)

``starter`` (a path under ``project/lib/``) is the one file a submission replaces. Test names
are string literals; ``@tag points: N`` weighs a test (default 1) and max_score is their sum.
``project/test/hidden/`` is reserved for the grader.

A mutation exercise (a ``[mutation]`` table, see :class:`Mutation` and ``grader/mutation.py``)
is the other way round: the starter is a test file under ``project/test/``, and it is graded by
running it against hidden implementations of one project module, kept in
``grader/hidden/<id>/implementations/<name>.ex``; max_score is the sum of their points.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

DEFAULT_TIMEOUT_SECONDS = 60
DEFAULT_TEST_TIMEOUT_SECONDS = 20
DEFAULT_MEMORY_MB = 1024


@dataclass(frozen=True)
class Mutant:
    name: str
    """Its file: ``grader/hidden/<id>/implementations/<name>.ex``."""
    description: str
    """What it gets wrong, in the learner's words: shown after grading, never its code."""
    points: float


@dataclass(frozen=True)
class Mutation:
    """A mutation exercise's ``[mutation]`` table."""

    implementation: str
    """The project file (``lib/...``) every implementation stands in for."""
    fixed: str
    """The fixed implementation's name: every learner test must pass on it."""
    sentinel: str
    """An implementation that answers every question wrongly: tests that pass on it check nothing."""
    fixed_points: float
    fixed_description: str
    mutants: tuple[Mutant, ...]

    def names(self) -> list[str]:
        return [self.fixed, self.sentinel, *(m.name for m in self.mutants)]


class ExerciseError(Exception):
    """An exercise is unknown or its files do not follow the layout."""


def repo_root() -> Path:
    """The course repository: ``OTP_COURSE_ROOT`` or the checkout holding this package."""
    return Path(os.environ.get("OTP_COURSE_ROOT") or Path(__file__).resolve().parent.parent)


def hidden_root() -> Path:
    return Path(__file__).resolve().parent / "hidden"


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    section: str
    starter: str
    solution: str
    notebook: str
    timeout_seconds: float
    """The whole run's wall clock: compile and every test (the backstop)."""
    memory_mb: int
    policy_allow: tuple[str, ...]
    root: Path
    quiet_reviews: tuple[str, ...] = ()
    """Review rules (`catch-all-rescue`, ...) whose note this exercise's lesson contradicts."""
    test_timeout_seconds: float = DEFAULT_TEST_TIMEOUT_SECONDS
    """Each test's own limit, so the report names a test that hangs (`@tag timeout:` wins)."""
    mutation: Mutation | None = None
    """Set for a mutation exercise (the learner writes the tests)."""
    gate: tuple[tuple[str, float], ...] = ()
    """The validation gate's checks graded beside the tests, with their points (`[gate]`)."""

    @property
    def dir(self) -> Path:
        return self.root / "exercises" / self.id

    @property
    def project_dir(self) -> Path:
        return self.dir / "project"

    @property
    def starter_path(self) -> Path:
        return self.root / self.starter

    @property
    def solution_path(self) -> Path:
        return self.root / self.solution

    @property
    def learner_file(self) -> str:
        """The starter's path inside the mix project: the one file a submission replaces."""
        return self.starter_path.relative_to(self.project_dir).as_posix()

    @property
    def hidden_dir(self) -> Path:
        return hidden_root() / self.id

    def implementation_path(self, name: str) -> Path:
        """A mutation exercise's hidden implementation ``name``."""
        return self.hidden_dir / "implementations" / f"{name}.ex"

    @cached_property
    def visible_test_files(self) -> tuple[Path, ...]:
        return tuple(sorted((self.project_dir / "test").rglob("*_test.exs")))

    @cached_property
    def hidden_test_files(self) -> tuple[Path, ...]:
        return tuple(sorted(self.hidden_dir.glob("*_test.exs"))) if self.hidden_dir.is_dir() else ()

    @cached_property
    def starter_modules(self) -> tuple[str, ...]:
        """Names of the modules the starter file defines (`defmodule X`)."""
        return defined_modules(self.starter_path.read_text(encoding="utf-8"))

    def to_json(self, max_score: float) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "max_score": max_score,
            "starter": self.starter,
            "solution": self.solution,
        }


def defined_modules(source: str) -> tuple[str, ...]:
    r"""`defmodule Name` declarations, in order (a cheap scan for code that does not parse).

    >>> defined_modules("defmodule A.B do\nend\n  defmodule C, do: nil")
    ('A.B', 'C')
    """
    import re

    return tuple(re.findall(r"^\s*defmodule\s+([A-Z][\w.]*)\s*(?:,|do\b)", source, flags=re.MULTILINE))


def load(exercise_id: str, root: Path | None = None) -> Exercise:
    root = root or repo_root()
    if not exercise_id or "/" in exercise_id or exercise_id.startswith("."):
        raise ExerciseError(f"unknown exercise {exercise_id!r}")
    path = root / "exercises" / exercise_id / "exercise.toml"
    if not path.is_file():
        known = ", ".join(e.id for e in load_all(root)) or "none"
        raise ExerciseError(f"unknown exercise {exercise_id!r} (known: {known})")
    with path.open("rb") as f:
        meta = tomllib.load(f)
    limits, policy, gate = meta.get("limits", {}), meta.get("policy", {}), meta.get("gate", {})
    try:
        exercise = Exercise(
            id=exercise_id,
            title=meta["title"],
            section=meta["section"],
            starter=meta["starter"],
            solution=meta["solution"],
            notebook=meta.get("notebook", ""),
            timeout_seconds=float(limits.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)),
            memory_mb=int(limits.get("memory_mb", DEFAULT_MEMORY_MB)),
            policy_allow=tuple(policy.get("allow", [])),
            root=root,
            test_timeout_seconds=float(limits.get("test_timeout_seconds", DEFAULT_TEST_TIMEOUT_SECONDS)),
            quiet_reviews=tuple(policy.get("quiet", [])),
            mutation=_mutation(meta["mutation"]) if "mutation" in meta else None,
            gate=tuple(gate.items()),
        )
    except KeyError as missing:
        raise ExerciseError(f"{path}: missing field {missing}") from None
    except (TypeError, ValueError) as bad:
        raise ExerciseError(f"{path}: a [limits] value is not a number ({bad})") from None
    validate(exercise)
    return exercise


def _mutation(table: dict) -> Mutation:
    mutants = tuple(Mutant(name=m["name"], description=m["description"], points=float(m["points"]))
                    for m in table["mutant"])
    return Mutation(implementation=table["implementation"], fixed=table["fixed"], sentinel=table["sentinel"],
                    fixed_points=float(table["fixed_points"]), fixed_description=table["fixed_description"],
                    mutants=mutants)


GATE_CHECKS = ("format", "warnings", "xref", "dialyzer")
"""The checks a `[gate]` table can give points to, in the order a grade lists them."""

REVIEW_RULES = ("bare-spawn", "catch-all-catch", "catch-all-rescue", "infinite-timeout", "io-logging", "unbounded-task")
"""The review notes `grader/elixir/lib/policy.ex` can make (tests/grader/test_policy.py keeps them in step)."""


def learners_copy(exercise: Exercise) -> bool:
    """A course as a learner's server has it (the workshop hub's): no solutions/, no hidden
    tests, only what the visible tests need (for a mutation exercise, its fixed and sentinel
    implementations, never its mutants)."""
    return not (exercise.root / "solutions").exists()


def validate(exercise: Exercise) -> None:
    """Checks the layout rules every exercise follows."""
    problems = []
    if not (exercise.project_dir / "mix.exs").is_file():
        problems.append("project/mix.exs is missing")
    if not exercise.starter_path.is_file():
        problems.append(f"starter {exercise.starter} does not exist")
    elif exercise.mutation is not None:
        problems += _mutation_problems(exercise)
    elif not exercise.starter_path.is_relative_to(exercise.project_dir / "lib"):
        problems.append("the starter must be a file under project/lib/")
    if not exercise.solution_path.is_file() and not learners_copy(exercise):
        problems.append(f"solution {exercise.solution} does not exist")
    if (exercise.project_dir / "test" / "hidden").exists():
        problems.append("project/test/hidden/ is reserved for the grader's hidden tests")
    if not exercise.visible_test_files:
        problems.append("project/test/ has no *_test.exs file")
    for rule in exercise.quiet_reviews:
        if rule not in REVIEW_RULES:
            problems.append(f"[policy] quiet names no review rule: {rule!r} (known: {', '.join(REVIEW_RULES)})")
    for check, points in exercise.gate:
        if check not in GATE_CHECKS:
            problems.append(f"[gate] names no check: {check!r} (known: {', '.join(GATE_CHECKS)})")
        elif isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            problems.append(f"[gate] {check} = {points!r}: the points must be a number, 0 or more")
    if problems:
        raise ExerciseError(f"exercise {exercise.id}: " + "; ".join(problems))


def _mutation_problems(exercise: Exercise) -> list[str]:
    """A mutation exercise's starter is a test file, and each implementation it names exists."""
    mutation, problems = exercise.mutation, []
    if not (exercise.starter_path.is_relative_to(exercise.project_dir / "test")
            and exercise.starter_path.name.endswith("_test.exs")):
        problems.append("a mutation exercise's starter must be a *_test.exs file under project/test/")
    if not (exercise.project_dir / mutation.implementation).is_file():
        problems.append(f"[mutation] implementation {mutation.implementation} is not a file of the project")
    names = mutation.names()
    if len(set(names)) != len(names):
        problems.append("[mutation] names an implementation twice")
    problems += [f"hidden implementation {name}.ex is missing" for name in names
                 if not exercise.implementation_path(name).is_file() and not learners_copy(exercise)]
    if any(m.points <= 0 for m in mutation.mutants) or mutation.fixed_points < 0:
        problems.append("[mutation] points must be positive")
    return problems


def load_all(root: Path | None = None) -> list[Exercise]:
    root = root or repo_root()
    base = root / "exercises"
    ids = sorted(p.parent.name for p in base.glob("*/exercise.toml")) if base.is_dir() else []
    return [load(i, root) for i in ids]
