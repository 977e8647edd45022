"""Grades one submission: the learner's file, run against an exercise's tests in a sandbox.

Every path that grades goes through :func:`grade`: the CLI, the notebook check cell and
nbgrader's autograde (which runs that cell). A mutation exercise, whose learner file is a test
file, is graded by ``grader/mutation.py`` with this module's runs.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from . import exercise as exercises
from . import gate, sandbox, toolchain
from .exercise import Exercise
from .results import ERROR, FAIL, PASS, Grade, RecordStream, Scrubber, TestResult, display_name, points, records, test_results
from . import workspace
from .workspace import Workspace

MAX_SOURCE_BYTES = 256 * 1024
BEAM_PROCESS_LIMIT = 65_536
MAX_MODULES = 100
MAX_MODULE_BYTES = 8 * 1024 * 1024
BEAM_MAX_HEAP_WORDS = 64 * 1024 * 1024  # 512 MB per process, then the process is killed


class SubmissionError(Exception):
    """The submission cannot be graded at all (not a text file, too big, ...)."""


class SandboxUnavailable(Exception):
    """A grade must be sandboxed (``require_sandbox``) and bubblewrap cannot run here."""


@dataclass(frozen=True)
class Progress:
    """How far a grading run has got, for a live display (never used to score)."""

    stage: str
    """``preparing`` (the exercise's build, first run only), ``compiling``, ``running`` or ``done``."""
    total: int
    passed: int = 0
    failed: int = 0
    current: str = ""
    """The test running now, by its display name."""


class _ProgressTracker:
    """Turns channel records into Progress for the expected tests only."""

    def __init__(self, expected: list[dict], report: Callable[[Progress], None]):
        self._names = {(t["module"], t["name"]): display_name(t["name"]) for t in expected}
        self._report = report
        self.state = Progress("compiling", total=len(expected))

    def start(self) -> None:
        self._report(self.state)

    def feeder(self, nonce: str) -> Callable[[bytes], None]:
        """What reads one run's channel (the records marked with its nonce) as it arrives."""
        stream = RecordStream(nonce)
        return lambda data: self._feed(stream.feed(data))

    def _feed(self, found: list[dict]) -> None:
        for record in found:
            key = (str(record.get("module")), str(record.get("name")))
            event = record.get("event")
            if event == "verify" and record.get("ok"):
                self._move(stage="running")
            elif event == "test_started" and key in self._names:
                self._move(stage="running", current=self._names[key])
            elif event == "test" and key in self._names:
                passed = record.get("status") == PASS
                self._move(passed=self.state.passed + passed, failed=self.state.failed + (not passed), current="")

    def _move(self, **changes) -> None:
        self.state = replace(self.state, **changes)
        self._report(self.state)


def read_submission(path: str | os.PathLike) -> str:
    """Reads a learner's file, refusing what cannot be Elixir source. Writes nothing."""
    p = Path(path)
    if not p.exists():
        raise SubmissionError(f"{path}: no such file")
    if not p.is_file():
        raise SubmissionError(f"{path}: not a regular file")
    size = p.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{path}: {size} bytes is too large for a fix (limit {MAX_SOURCE_BYTES // 1024} KB)")
    return check_source(p.read_bytes(), str(path))


def check_source(data: bytes, label: str) -> str:
    if len(data) > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{label}: {len(data)} bytes is too large for a fix (limit {MAX_SOURCE_BYTES // 1024} KB)")
    if b"\0" in data:
        raise SubmissionError(f"{label}: a binary file, not Elixir source")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{label}: not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise SubmissionError(f"{label}: the file is empty")
    return text


def grade(
    exercise: Exercise | str,
    source: str,
    *,
    include_hidden: bool = True,
    source_label: str | None = None,
    policy: bool = True,
    progress: Callable[[Progress], None] | None = None,
    require_sandbox: bool = False,
) -> Grade:
    """Grades ``source`` as the learner's version of the exercise's starter file.

    ``policy=False`` still runs the static check but only reports it (used to test that
    the sandbox holds on its own). ``progress`` is told how the run advances, as it does.
    ``require_sandbox`` refuses to grade with fewer protections when bubblewrap cannot run.
    """
    ex = exercise if isinstance(exercise, Exercise) else exercises.load(exercise)
    if require_sandbox and not sandbox.bubblewrap()[0]:
        raise SandboxUnavailable("this grade must run in the sandbox, and " + sandbox.bubblewrap()[1]
                                 + ": nothing was graded")
    check_source(source.encode("utf-8"), source_label or ex.learner_file)
    if ex.mutation is not None:
        from . import mutation  # the mode's own module (it uses this one's runs)

        return mutation.grade(ex, source, include_hidden=include_hidden, label=source_label or ex.learner_file,
                              policy=policy, progress=progress)
    expected = expected_tests(ex, include_hidden)
    report = progress or (lambda _progress: None)
    report(Progress("preparing", total=len(expected)))
    build = skeleton_build(ex)
    tests = [t for t in compiled_tests(ex) if include_hidden or t["visible"]]
    tracker = _ProgressTracker([t for t in expected if t["module"] != gate.MODULE], report)
    with Workspace(ex, source, build=build, ebin=toolchain.support_ebin(), owner=sandbox.drop_to_uid()) as ws:
        tracker.start()
        found, outcome = _compile_then_test(ex, ws, tests, policy, tracker)
    report(replace(tracker.state, stage="done", current=""))
    result = _grade(ex, expected, found, outcome, source_label or ex.learner_file)
    hidden = [p.read_text(encoding="utf-8") for p in ex.hidden_test_files]
    visible = [p.read_text(encoding="utf-8") for p in ex.visible_test_files]
    return Scrubber(hidden, keep=visible + [source]).grade(result)


def _compile_then_test(ex: Exercise, ws: Workspace, tests: list[dict], policy: bool, tracker: _ProgressTracker):
    """The two runs of a grade: the learner's VM compiles, the grading VM checks and tests.

    The grading VM starts while the learner's compiles (it boots, then waits on its pipe for the
    compiled modules), so the two VM start-ups overlap."""
    handover: Future = Future()
    cancel = threading.Event()
    test_nonce, compile_nonce = secrets.token_hex(16), secrets.token_hex(16)
    with ThreadPoolExecutor(max_workers=1) as pool:
        testing = pool.submit(_run, ex, ws, test_nonce, policy=policy, steps="test", secret=handover.result,
                              cancel=cancel, on_channel=tracker.feeder(test_nonce))
        try:
            outcome = _run(ex, ws, compile_nonce, policy=policy, steps="compile",
                           on_channel=tracker.feeder(compile_nonce))
            compiled = records(outcome.channel, compile_nonce)
            found = [r for r in compiled if r["event"] in ("policy", "compile")]
            modules = learner_modules(compiled)
            if modules and all(r.get("ok", True) for r in found if r["event"] == "compile"):
                files = [(f"test/{t['module']}.{'case' if t['case'] else 'helper'}", base64.b64decode(t["data"]))
                         for t in tests] + modules
                handover.set_result(_secret(test_nonce, files))
                outcome = testing.result()
                found += [r for r in records(outcome.channel, test_nonce) if r["event"] not in ("policy", "compile", "beam")]
            return found, outcome
        finally:
            if not handover.done():
                handover.set_result(b"")
            if not testing.done():
                cancel.set()


def expected_tests(ex: Exercise, include_hidden: bool = True) -> list[dict]:
    """Every result a grade expects, with its points: the tests' manifest, then the gate's checks."""
    return [t for t in toolchain.manifest(ex) if include_hidden or t["visible"]] + gate.expected(ex)


def max_score(ex: Exercise, include_hidden: bool = True) -> float:
    return sum(float(t["points"]) for t in expected_tests(ex, include_hidden))


def _project_key(ex: Exercise) -> list[bytes | str]:
    """What a cached build of the exercise's project depends on: the toolchain and every project file."""
    project_files = sorted(p for p in ex.project_dir.rglob("*") if p.is_file() and "_build" not in p.parts)
    return [toolchain.elixir_fingerprint(), str(toolchain.support_ebin()),
            *[str(p.relative_to(ex.project_dir)).encode() + b"\0" + p.read_bytes() for p in project_files]]


def skeleton_build(ex: Exercise) -> Path:
    """Mix's ``_build`` of the project with the starter, cached: runs recompile only the learner's file."""
    key = toolchain.digest(*_project_key(ex))

    def build(tmp: Path) -> None:
        source = ex.starter_path.read_text(encoding="utf-8")
        with Workspace(ex, source, build=None, ebin=toolchain.support_ebin(), owner=sandbox.drop_to_uid()) as ws:
            nonce = secrets.token_hex(16)
            outcome = _run(ex, ws, nonce, policy=False, steps="build")
            compiled = [r for r in records(outcome.channel, nonce) if r["event"] == "compile"]
            if not compiled or not compiled[0].get("ok"):
                raise toolchain.ToolchainError(
                    f"exercise {ex.id}: the starter does not compile:\n" + outcome.output.decode(errors="replace")
                )
            shutil.copytree(ws.path / "project" / "_build", tmp / "_build", symlinks=True)
        for dirpath, dirnames, filenames in os.walk(tmp):
            for name in dirnames:
                os.chmod(os.path.join(dirpath, name), 0o755)
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)

    return toolchain._publish(build, toolchain.cache_root() / f"build-{ex.id}-{key}") / "_build"


def _run(
    ex: Exercise, ws: Workspace, nonce: str, *, policy: bool, steps: str, files=(), secret=None, cancel=None,
    on_channel=None
) -> sandbox.Outcome:
    elixir = toolchain.executable("elixir")
    erl_flags = f"+P {BEAM_PROCESS_LIMIT} +hmax {BEAM_MAX_HEAP_WORDS} +hmaxk true +hmaxel false +sbwt none +sbwtdcpu none +sbwtdio none"
    seen_as = sandbox.workspace_seen_as(ws.path)
    argv = [elixir, "--erl", erl_flags, "-pa", f"{seen_as}/toolchain/ebin", "-e", "Grader.Run.main()"]
    path_dirs = [os.path.dirname(shutil.which("elixir") or elixir), os.path.dirname(elixir), "/usr/bin", "/bin"]
    env = {
        "PATH": ":".join(dict.fromkeys(path_dirs)),
        "LANG": "C.UTF-8",
        "MIX_ENV": "test",
        "MIX_HOME": f"{seen_as}/home/.mix",
        "HEX_OFFLINE": "1",
        "ERL_CRASH_DUMP_SECONDS": "0",
        "GRADER_LEARNER_FILE": ex.learner_file,
        "GRADER_POLICY_ALLOW": ",".join(ex.policy_allow),
        "GRADER_POLICY": "enforce" if policy else "report-only",
        "GRADER_STEPS": steps,
        "GRADER_RUN": str(ws.path),
        "GRADER_TEST_TIMEOUT_MS": str(int(ex.test_timeout_seconds * 1000)),
        "GRADER_GATE": ",".join(gate.checks(ex)),
    }
    if ex.mutation is not None:
        env.update(GRADER_MODE="mutation", GRADER_IMPLEMENTATION=ex.mutation.implementation)
    building = steps == "build"  # the starter's skeleton build: trusted, and kept on the host
    if sandbox.bubblewrap()[0] and not building:
        env["GRADER_BUILD_SEED"] = workspace.BUILD_SEED
    limits = sandbox.Limits(wall_seconds=ex.timeout_seconds, memory_mb=ex.memory_mb)
    return sandbox.run(
        argv,
        ws.path,
        env=env,
        limits=limits,
        scratch={} if building else workspace.SCRATCH_MB,
        seeds={} if building else ws.seeds,
        writable=workspace.WRITABLE if building else (),
        executables=[elixir, toolchain.executable("erl")],
        cwd="project",
        secret=secret or _secret(nonce, files),
        cancel=cancel,
        on_channel=on_channel,
    )


def _secret(nonce: str, files) -> bytes:
    """The nonce, then each file framed as ``name\\nbyte_size\\ndata``."""
    parts = [nonce.encode() + b"\n"]
    for name, data in files:
        parts.append(name.encode() + b"\n" + str(len(data)).encode() + b"\n" + data)
    return b"".join(parts)


def learner_modules(compiled: list[dict]) -> list[tuple[str, bytes]]:
    """The compiled modules the learner's VM sent back: untrusted data, kept only if well formed
    and within bounds (the grading VM checks what they contain)."""
    modules, total = [], 0
    for record in compiled:
        name, data = record.get("name"), record.get("data")
        if record["event"] != "beam" or not isinstance(name, str) or not isinstance(data, str):
            continue
        if not _BEAM_NAME.fullmatch(name) or len(modules) >= MAX_MODULES:
            continue
        try:
            binary = base64.b64decode(data, validate=True)
        except ValueError:
            continue
        total += len(binary)
        if total > MAX_MODULE_BYTES:
            break
        modules.append((name, binary))
    return modules


_BEAM_NAME = re.compile(r"[A-Za-z0-9_.]{1,200}\.beam")


def compiled_against(ex: Exercise) -> str:
    """The code the tests are compiled against: the reference solution, or in a learner's copy
    of the course (the workshop hub's: no solutions), the starter, which names the same modules."""
    path = ex.starter_path if exercises.learners_copy(ex) else ex.solution_path
    return path.read_text(encoding="utf-8")


def compiled_tests(ex: Exercise) -> list[dict]:
    """The exercise's visible and hidden test modules, compiled against the reference solution
    (never in a VM that runs learner code), cached: ``module``, ``case``, ``visible``, ``data``."""
    source = compiled_against(ex)
    key = toolchain.digest(
        *_project_key(ex),
        b"hidden", *toolchain.files_digest(ex.hidden_test_files),
        b"solution", source.encode(),
    )

    def build(tmp: Path) -> None:
        with Workspace(ex, source, build=skeleton_build(ex), ebin=toolchain.support_ebin(), owner=sandbox.drop_to_uid()) as ws:
            nonce = secrets.token_hex(16)
            files = [(p.name, p.read_bytes()) for p in ex.hidden_test_files]
            outcome = _run(ex, ws, nonce, policy=False, steps="tests", files=files)
            found = records(outcome.channel, nonce)
            modules = [r for r in found if r["event"] == "test_module"]
            if not any(r["event"] == "done" for r in found) or not modules:
                raise toolchain.ToolchainError(
                    f"exercise {ex.id}: the tests do not compile against the reference solution:\n"
                    + outcome.output.decode(errors="replace"))
            (tmp / "tests.json").write_text(json.dumps(modules))
            os.chmod(tmp / "tests.json", 0o600)

    entry = toolchain._publish(build, toolchain.cache_root() / f"tests-{ex.id}-{key}")
    return [{k: r[k] for k in ("module", "case", "visible", "data")} for r in json.loads((entry / "tests.json").read_text())]


# --- from records to a grade ---------------------------------------------------


def _grade(ex: Exercise, expected: list[dict], found: list[dict], outcome: sandbox.Outcome, label: str) -> Grade:
    events = {r["event"]: r for r in reversed(found)}
    policy, compiled = events.get("policy"), events.get("compile")
    maximum = sum(float(t["points"]) for t in expected)
    comments = _comments(policy, ex.quiet_reviews)
    info = {"protections": outcome.protections, "missing": outcome.missing}

    def error(message: str, reason: str) -> Grade:
        tests = test_results(expected, [], reason)
        return Grade(ex.id, ERROR, 0, maximum, _with_missing(message, outcome), tests, comments, info)

    if policy and policy.get("violations"):
        lines = [f"line {v.get('line')}: {v.get('message')}" for v in policy["violations"]]
        if outcome.returncode is not None and "suite_started" not in events:
            return error("Your code uses things this exercise never needs:\n" + "\n".join(lines), "not run: see the message")
    verified = events.get("verify")
    if verified and verified.get("violations") and "suite_started" not in events:
        lines = [f"line {v.get('line')}: {v.get('message')}" if v.get("line") else str(v.get("message"))
                 for v in verified["violations"]]
        return error("Your compiled code uses things this exercise does not allow:\n" + "\n".join(lines),
                     "not run: see the message")
    if compiled and not compiled.get("ok"):
        return error("Your code does not compile:\n" + _compile_errors(compiled, ex, label), "not run: the code does not compile")
    ran = "suite_started" in events
    stop = _stop_reason(ex, outcome, events)
    if not ran:
        detail = stop or "The run stopped before any test ran (System.halt, a crash of the VM, or memory exhaustion)."
        return error(detail + _output_tail(outcome), "not run: " + detail)
    hung = _hung_test(found)
    if stop and hung:
        stop = stop.rstrip(".") + f", while the test “{hung}” was running."
    found = found + gate.test_records(ex, found)
    tests = test_results(expected, found, "not run: the run was stopped before this test reported (see the message above)")
    score = sum(t.earned for t in tests)
    failed = [t for t in tests if t.status != PASS]
    status = PASS if not failed and tests else FAIL
    summary = f"{points(score)} of {points(maximum)} points"
    if failed:
        summary += f": {len(failed)} of {len(tests)} tests failed"
    if stop:
        summary += ". " + stop
    return Grade(ex.id, status, score, maximum, _with_missing(summary, outcome), tests, comments, info)


def _hung_test(found: list[dict]) -> str:
    """The test that started last and never finished, by its display name ("" if none)."""
    finished = {(r.get("module"), r.get("name")) for r in found if r.get("event") == "test"}
    started = [r for r in found if r.get("event") == "test_started" and (r.get("module"), r.get("name")) not in finished]
    return display_name(str(started[-1].get("name"))) if started else ""


def _stop_reason(ex: Exercise, outcome: sandbox.Outcome, events: dict) -> str:
    if outcome.stopped == "timeout":
        return f"The whole run did not finish within {points(ex.timeout_seconds)} seconds (an endless loop or a call that never returns?) and was stopped."
    if outcome.stopped == "output":
        return "Your code printed more output than the limit allows; the run was stopped."
    if outcome.stopped == "channel":
        return "The run produced more results than any test suite does; it was stopped."
    if "suite_finished" not in events and "suite_started" in events:
        return "The run ended before all tests reported (System.halt, a killed test runner, or the VM running out of memory)."
    return ""


def _compile_errors(record: dict, ex: Exercise, label: str) -> str:
    lines = []
    for err in record.get("errors") or []:
        file = str(err.get("file") or "")
        where = label if file.endswith(ex.learner_file) else file
        message = _COMPILER_PREFIX.sub(r"\1: ", str(err.get("message", "")))
        message = _STACK_FRAME.sub("", message).replace(ex.learner_file, label).strip()
        line = err.get("line")
        lines.append(f"{where}:{line}: {message}" if line else f"{where}: {message}")
    return "\n".join(lines) or "the compiler reported an error"


_COMPILER_PREFIX = re.compile(r"^\*\* \((\w+)\) \S+?:\d+(?::\d+)?: ")
_STACK_FRAME = re.compile(r"^\s+\((?:elixir|stdlib|kernel|mix) [\w.-]+\) .*$", re.MULTILINE)


def _comments(policy: dict | None, quiet: tuple[str, ...] = ()) -> list[dict]:
    if not policy:
        return []
    return [
        {"line": c.get("line"), "rule": c.get("rule"), "section": c.get("section"), "comment": c.get("message"), "type": "actionable"}
        for c in policy.get("comments") or [] if c.get("rule") not in quiet
    ]


def _output_tail(outcome: sandbox.Outcome, limit: int = 800) -> str:
    text = outcome.output.decode("utf-8", errors="replace").strip()
    if not text:
        return ""
    return "\nLast output:\n" + (text[-limit:] if len(text) > limit else text)


def _with_missing(message: str, outcome: sandbox.Outcome) -> str:
    if not outcome.missing:
        return message
    return message + "\nNote: graded without some protections: " + "; ".join(outcome.missing)

