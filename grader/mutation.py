"""Grades a mutation exercise: the learner writes the tests, and the tests are graded by what they catch.

The learner's file is an ExUnit test file (the exercise's starter, under ``project/test/``). It
is checked and compiled like any learner file (``Grader.Policy`` on its source, compiled in the
learner's VM only, its compiled modules checked and rebuilt by ``Grader.Verify`` in each grading
VM before they are loaded), then run once against each hidden implementation of the module under
test, each in a fresh grading VM (the implementations share a module name, and a fresh VM keeps
nothing from one run to the next):

* the fixed implementation: every learner test must pass on it, or the file earns nothing (a
  regression test that fails on correct code cannot be merged), and a file with no test earns
  nothing either;
* a sentinel that answers every question wrongly: tests that pass on it check nothing, so the
  small reward for "passes on the fixed implementation" needs the sentinel caught too;
* each mutant (a plausible bug: the reported one, the boundary on the other side, ...): caught
  when at least one learner test fails on it, whatever the failure (an assertion, an
  exception, a test's own time limit, a run stopped by its limits while a test ran); a failure
  by time limit counts only if that test took under a quarter of the limit on the fixed
  implementation (:meth:`Run.catching`).

The score is decided here from the sealed channel's records and the exercise's metadata
(``[mutation]`` in ``exercise.toml``), never from anything the learner's code can reach.

Trust, beyond the usual checks: the implementations are instructor code, compiled by a trusted,
cached step (:func:`implementations`) from the same file name with the same options and their
line numbers erased, never in a VM that runs learner code, and never shown; a learner's test may
not read how a module was built (``module_info``, ``__info__``, md5, the code server) nor use
anything whose answer changes between runs (clocks, randomness, unique values, processes: see
``Grader.Mutation``), so the same test gives the same verdict every time and a mutant is never
caught by luck.
"""

from __future__ import annotations

import base64
import json
import re
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import engine, sandbox, toolchain
from .exercise import Exercise, learners_copy
from .results import FAIL, PASS, Grade, Scrubber, TestResult, display_name, points, records
from .workspace import Workspace


@dataclass(frozen=True)
class Result:
    """One learner test's outcome on one implementation."""

    status: str
    message: str
    time_ms: int = 0
    limit_ms: float | None = None
    """Set when the test failed by running out of time: the limit it hit."""


@dataclass
class Run:
    """What one grading VM reported, the learner's tests run against one implementation."""

    implementation: str
    found: list[dict]
    outcome: sandbox.Outcome
    results: dict[tuple[str, str], Result] = field(default_factory=dict)
    """(module, test name) -> its result; a test that started and never reported failed."""

    @property
    def ran(self) -> bool:
        return any(r["event"] == "suite_started" for r in self.found)

    @property
    def finished(self) -> bool:
        return any(r["event"] == "suite_finished" for r in self.found)

    def failed(self) -> list[tuple[str, str]]:
        """(test name, message) of every test that failed, in the order they ran."""
        return [(name, r.message) for (_module, name), r in self.results.items() if r.status == FAIL]

    def catching(self, fixed: Run) -> list[str]:
        """The tests that fail here and pass on ``fixed``: those that catch this implementation.

        A test that runs out of time catches it only if it took less than a quarter of that limit
        on the fixed implementation: the only thing a learner's test can measure is its own time
        limit (no clock is allowed), and a test that needs nearly all of it on correct code would
        otherwise catch mutants by the machine's load, not by what they answer."""
        caught = []
        for key, result in self.results.items():
            on_fixed = fixed.results.get(key)
            if result.status != FAIL or on_fixed is None or on_fixed.status != PASS:
                continue
            if result.limit_ms is None or 4 * on_fixed.time_ms < result.limit_ms:
                caught.append(key[1])
        return caught


_TIMED_OUT = re.compile(r"^This test did not finish within ([0-9.]+) s")


def read_run(implementation: str, found: list[dict], outcome: sandbox.Outcome, limit: float) -> Run:
    run = Run(implementation, found, outcome)
    counts: dict[tuple[str, str], int] = {}
    for record in found:
        if record.get("event") == "test" and isinstance(record.get("name"), str):
            key = (str(record.get("module")), record["name"])
            counts[key] = counts.get(key, 0) + 1
            status = {PASS: PASS, "skip": "skip"}.get(record.get("status"), FAIL)
            message = str(record.get("message", ""))
            timed_out = _TIMED_OUT.match(message) if status == FAIL else None
            time_ms = record.get("time_ms") if isinstance(record.get("time_ms"), int) else 0
            run.results[key] = Result(status, message, time_ms, float(timed_out.group(1)) * 1000 if timed_out else None)
    for key, count in counts.items():
        if count > 1:
            run.results[key] = Result(FAIL, "this test reported more than once; counted as failed")
    for record in found:
        key = (str(record.get("module")), str(record.get("name")))
        if record.get("event") == "test_started" and isinstance(record.get("name"), str) and key not in run.results:
            run.results[key] = Result(FAIL, f"the run was stopped by its limits ({points(limit)} s) while this test ran",
                                      limit_ms=limit * 1000)
    return run


# --- the trusted step: the implementations ---------------------------------------------


def implementations(ex: Exercise) -> dict[str, dict]:
    """Each hidden implementation compiled (cached): name -> ``module``, ``exports``, ``data``.

    Compiled in a VM that runs no learner code, each as the project's file, with the same
    options; all must define the same module with the same exported functions, so that only
    what they answer tells them apart."""
    names = ex.mutation.names()
    if learners_copy(ex):  # a learner's server: the mutants stay with the instructor
        names = [ex.mutation.fixed, ex.mutation.sentinel]
    paths = [ex.implementation_path(name) for name in names]
    key = toolchain.digest(*engine._project_key(ex), b"implementations", *toolchain.files_digest(paths))

    def build(tmp: Path) -> None:
        source = ex.starter_path.read_text(encoding="utf-8")
        with Workspace(ex, source, build=engine.skeleton_build(ex), ebin=toolchain.support_ebin(),
                       owner=sandbox.drop_to_uid()) as ws:
            nonce = secrets.token_hex(16)
            files = [(name, path.read_bytes()) for name, path in zip(names, paths)]
            outcome = engine._run(ex, ws, nonce, policy=False, steps="implementations", files=files)
            found = {r["name"]: r for r in records(outcome.channel, nonce) if r["event"] == "implementation"}
        if sorted(found) != sorted(names):
            raise toolchain.ToolchainError(f"exercise {ex.id}: the hidden implementations do not compile:\n"
                                           + outcome.output.decode(errors="replace"))
        shapes = {(r["module"], tuple(r["exports"])) for r in found.values()}
        if len(shapes) != 1:
            raise toolchain.ToolchainError(
                f"exercise {ex.id}: the hidden implementations must define one module with the same exported "
                f"functions (found {sorted(shapes)})")
        (tmp / "implementations.json").write_text(json.dumps(found))
        os.chmod(tmp / "implementations.json", 0o600)

    entry = toolchain._publish(build, toolchain.cache_root() / f"implementations-{ex.id}-{key}")
    return json.loads((entry / "implementations.json").read_text())


# --- a grade ------------------------------------------------------------------------------


def grade(ex: Exercise, source: str, *, include_hidden: bool, label: str, policy: bool,
          progress: Callable[[engine.Progress], None] | None) -> Grade:
    """Grades the learner's test file ``source`` (see the module's doc). Called by ``engine.grade``."""
    expected = [t for t in toolchain.manifest(ex) if include_hidden or t["visible"]]
    report = progress or (lambda _progress: None)
    state = engine.Progress("preparing", total=len(expected))
    report(state)
    build = engine.skeleton_build(ex)
    compiled = implementations(ex)
    mutation = ex.mutation
    order = [mutation.fixed, mutation.sentinel] + [t["implementation"] for t in expected if not t["visible"]]
    describe = {t["implementation"]: display_name(t["name"]) for t in expected}
    describe[mutation.sentinel] = "an implementation that answers every question wrongly"
    runs: dict[str, Run] = {}
    with Workspace(ex, source, build=build, ebin=toolchain.support_ebin(), owner=sandbox.drop_to_uid()) as ws:
        state = replace(state, stage="compiling")
        report(state)
        nonce = secrets.token_hex(16)
        outcome = engine._run(ex, ws, nonce, policy=policy, steps="compile")
        found = [r for r in records(outcome.channel, nonce) if r["event"] in ("policy", "compile", "beam")]
        modules = engine.learner_modules(found)
        found = [r for r in found if r["event"] != "beam"]
        compiled_ok = any(r["event"] == "compile" and r.get("ok") for r in found)
        if not compiled_ok:
            return _scrubbed(ex, source, engine._grade(ex, expected, found, outcome, label))
        if not modules:
            return _scrubbed(ex, source, _nothing(ex, expected, "your file defines no module, so no test", outcome))
        for name in order:
            state = replace(state, stage="running", current=describe.get(name, name))
            report(state)
            implementation = compiled[name]
            files = [(f"impl/{implementation['module']}.beam", _b64(implementation["data"]))] + modules
            nonce = secrets.token_hex(16)
            outcome = engine._run(ex, ws, nonce, policy=policy, steps="test", files=files)
            run = read_run(name, records(outcome.channel, nonce), outcome, ex.timeout_seconds)
            runs[name] = run
            if name == mutation.fixed and not run.ran:
                # Refused by the check, or the VM could not start the tests: the usual error grade.
                return _scrubbed(ex, source, engine._grade(ex, expected, found + run.found, outcome, label))
            if name == mutation.fixed and (run.failed() or not run.results or not run.finished):
                break  # nothing more can earn points
            if name != mutation.fixed:  # the sentinel decides the fixed implementation's result
                caught = bool(run.catching(runs[mutation.fixed]))
                state = replace(state, passed=state.passed + caught, failed=state.failed + (not caught))
    report(replace(state, stage="done", current=""))
    return _scrubbed(ex, source, _decide(ex, expected, runs, found))


def _b64(data: str) -> bytes:
    return base64.b64decode(data)


def _decide(ex: Exercise, expected: list[dict], runs: dict[str, Run], found: list[dict]) -> Grade:
    mutation = ex.mutation
    fixed = runs[mutation.fixed]
    maximum = sum(float(t["points"]) for t in expected)
    comments = engine._comments(next((r for r in found if r["event"] == "policy"), None), ex.quiet_reviews)
    info = {"protections": fixed.outcome.protections, "missing": fixed.outcome.missing}
    if not fixed.results:
        return _nothing(ex, expected, "your file defines no test", fixed.outcome, comments)
    failed = fixed.failed()
    if failed or not fixed.finished:
        name, message = failed[0] if failed else ("", "")
        why = (f"your test “{display_name(name)}” fails on the fixed implementation, so it would block the fix: "
               f"a regression test must pass on correct code. Its failure:\n{message}") if failed else \
              "the run against the fixed implementation did not finish (see the output)"
        return _nothing(ex, expected, why, fixed.outcome, comments)
    tests = []
    for test in expected:
        name = test["implementation"]
        if name == mutation.fixed:
            checks = bool(runs[mutation.sentinel].catching(fixed))
            status = PASS if checks else FAIL
            message = ("all your tests pass on the fixed implementation, and they fail on one that answers "
                       "every question wrongly" if checks else
                       "your tests pass on the fixed implementation, but also on one that answers every question "
                       "wrongly: they check nothing yet (assert on what the function returns)")
        else:
            catching = [display_name(n) for n in runs[name].catching(fixed)]
            status = PASS if catching else FAIL
            message = (f"caught: your test “{catching[0]}” fails on it" if catching else
                       "let through: none of your tests fails on it (a test that only ran out of a time limit "
                       "it nearly used up on the fixed implementation does not count)" if runs[name].failed() else
                       "let through: every one of your tests passes on it")
        tests.append(TestResult(name=display_name(test["name"]), status=status, message=message, output="",
                                points=float(test["points"]), visible=bool(test["visible"])))
    score = sum(t.earned for t in tests)
    summary = f"{points(score)} of {points(maximum)} points."
    mutants = [t for t in tests if not t.visible]
    caught = [t.name for t in mutants if t.status == PASS]
    missed = [t.name for t in mutants if t.status != PASS]
    if caught:
        summary += " Your tests catch: " + "; ".join(caught) + "."
    if missed:
        summary += " Your tests let through: " + "; ".join(missed) + "."
    if tests and tests[0].status != PASS:
        summary += " " + tests[0].message[0].upper() + tests[0].message[1:] + "."
    status = PASS if all(t.status == PASS for t in tests) else FAIL
    return Grade(ex.id, status, score, maximum, engine._with_missing(summary, fixed.outcome), tests, comments, info)


def _nothing(ex: Exercise, expected: list[dict], why: str, outcome: sandbox.Outcome, comments=None) -> Grade:
    """A grade of 0: the tests cannot be merged (or there are none), so no mutant counts as caught."""
    maximum = sum(float(t["points"]) for t in expected)
    reason = "not counted: " + why.split("\n")[0]
    tests = [TestResult(name=display_name(t["name"]), status=FAIL, message=reason, output="",
                        points=float(t["points"]), visible=bool(t["visible"])) for t in expected]
    message = f"0 of {points(maximum)} points: {why}"
    info = {"protections": outcome.protections, "missing": outcome.missing}
    return Grade(ex.id, FAIL, 0, maximum, engine._with_missing(message, outcome), tests, comments or [], info)


def _scrubbed(ex: Exercise, source: str, grade: Grade) -> Grade:
    """No line of a hidden implementation in the feedback (the production module's lines are public)."""
    hidden = [ex.implementation_path(name).read_text(encoding="utf-8") for name in ex.mutation.names()]
    public = (ex.project_dir / ex.mutation.implementation).read_text(encoding="utf-8")
    return Scrubber(hidden, keep=[source, public]).grade(grade)
