"""Fixtures for the grader tests: the real exercise 03, its starter and solution, and a way
to grade snippets of Elixir with tight limits and look for anything left behind."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from grader import engine, exercise, toolchain

EXERCISE_ID = "03_classify_failures"
REPO = exercise.repo_root()
CANARY_DIR = Path(tempfile.gettempdir()) / "grader-canary"
CANARY = CANARY_DIR / "canary.txt"
SKIP_DIRS = {".git", ".venv", ".pytest_cache", "__pycache__", "_build", "node_modules", "test-artifacts"}


@pytest.fixture(scope="session")
def ex03() -> exercise.Exercise:
    return exercise.load(EXERCISE_ID)


@pytest.fixture(scope="session")
def solution(ex03) -> str:
    return ex03.solution_path.read_text()


@pytest.fixture(scope="session")
def starter(ex03) -> str:
    return ex03.starter_path.read_text()


@pytest.fixture(scope="session")
def warm(ex03):
    """Builds the caches once, so snapshots taken by tests see only what a run changes,
    and lays out the canary file that attacks try to change."""
    engine.max_score(ex03)
    engine.skeleton_build(ex03)
    engine.compiled_tests(ex03)
    CANARY_DIR.mkdir(exist_ok=True)
    os.chmod(CANARY_DIR, 0o777)
    CANARY.write_text("untouched\n")
    os.chmod(CANARY, 0o666)


def tree_state(root: Path) -> dict[str, tuple[int, int, str]]:
    """Path -> (size, mtime_ns, sha1) of every file under ``root`` except build and VCS dirs."""
    state = {}
    if root.is_file():
        return {str(root): root.read_bytes()}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
                digest = hashlib.sha1(open(path, "rb").read()).hexdigest() if os.path.isfile(path) else ""
            except OSError:
                continue
            state[path] = (st.st_size, st.st_mtime_ns, digest)
    return state


def watched_state(ex) -> dict:
    """The files a run could want to change: this exercise, its solution, the grader, the caches,
    and the canary directory attacks aim at. (Other exercises are being edited by others.)"""
    state = {}
    cache = toolchain.cache_root()
    roots = [ex.dir, ex.solution_path.parent, ex.hidden_dir, REPO / "grader" / "elixir", CANARY_DIR]
    roots += [p for p in cache.glob("*") if ex.id in p.name or p.name.startswith("support-")]
    for root in roots:
        state.update(tree_state(root))
    state.update({str(p): p.read_bytes() for p in (REPO / "grader").glob("*.py")})
    return state


def sandbox_processes(workdir: Path) -> list[str]:
    """Live processes of this test's grading runs: those whose command line or environment
    names a workspace under ``workdir`` (every sandboxed process has ``GRADER_RUN`` set).

    Zombies are dead already (their exit status waits for the host's init to collect it)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("State", "").startswith(("Z", "X")):
            continue
        if str(workdir) in cmdline or f"GRADER_RUN={workdir}" in environ or "sleep 4242" in cmdline:
            found.append(f"{pid}: {cmdline.strip()}")
    return found


@pytest.fixture
def workdir(monkeypatch):
    """Workspaces go here, so a test can see that each run removes its own.

    It sits directly in the system temp dir: the sandbox user must be able to reach it."""
    path = Path(tempfile.mkdtemp(prefix="grader-test-"))
    os.chmod(path, 0o755)
    monkeypatch.setenv("OTP_GRADER_WORKDIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def contained(ex03, warm, workdir):
    """Grades code with a short wall clock and checks nothing outside the workspace changed."""

    def run(source: str, *, policy: bool = True, timeout: float = 20, include_hidden: bool = True,
            test_timeout: float | None = None, progress=None):
        short = dataclasses.replace(ex03, timeout_seconds=timeout, test_timeout_seconds=test_timeout or timeout)
        before = watched_state(ex03)
        grade = engine.grade(short, source, policy=policy, include_hidden=include_hidden, progress=progress)
        print(grade.message)
        after = watched_state(ex03)
        changed = {path for path in before if after.get(path) != before[path]}
        cache = str(toolchain.cache_root())
        added = {path for path in after.keys() - before.keys() if not path.startswith(cache)}
        assert not changed and not added, f"files outside the workspace changed: {changed | added}"
        assert list(workdir.iterdir()) == [], "the workspace was not removed"
        assert sandbox_processes(workdir) == [], "a process of the run is still alive"
        return grade

    return run
