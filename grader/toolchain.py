"""Things built once and reused by every grading run, cached on disk by content hash.

* the grader's Elixir modules (formatter, result channel, policy check), compiled;
* each exercise's test manifest: the tests and points the grader expects, read from the
  test files themselves (never from a run);
* each exercise's skeleton build: Mix's ``_build`` of the project with the starter, so a
  run only recompiles the learner's file.

Entries are built in a temporary directory and renamed into place, so concurrent graders
never see half-built entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from .exercise import Exercise

ELIXIR_SOURCES = Path(__file__).resolve().parent / "elixir" / "lib"


class ToolchainError(Exception):
    """Elixir is missing or the grader's own code does not build."""


def cache_root() -> Path:
    base = os.environ.get("OTP_GRADER_CACHE")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "otp-grader"


@lru_cache(maxsize=None)
def executable(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ToolchainError(f"`{name}` is not on PATH: install Elixir (make setup, or apt-get install elixir)")
    return os.path.realpath(found)


def elixir_fingerprint() -> str:
    """Changes whenever the Elixir or Erlang installation changes (no VM start needed)."""
    parts = []
    for name in ("elixir", "erl"):
        st = os.stat(executable(name))
        parts.append(f"{executable(name)}:{st.st_mtime_ns}:{st.st_size}")
    return "|".join(parts)


def digest(*chunks: bytes | str) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk.encode() if isinstance(chunk, str) else chunk)
        h.update(b"\0")
    return h.hexdigest()[:20]


def files_digest(paths) -> list[bytes]:
    return [p.name.encode() + b"\0" + p.read_bytes() for p in sorted(paths)]


def _publish(build_into, final: Path) -> Path:
    """Builds an entry with ``build_into(tmpdir)`` and renames it to ``final`` atomically."""
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(final.parent, 0o755)
    tmp = Path(tempfile.mkdtemp(prefix=final.name + ".", dir=final.parent))
    try:
        build_into(tmp)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


@lru_cache(maxsize=None)
def support_ebin() -> Path:
    """The compiled grader modules (``Grader.*``), as a directory for ``-pa``."""
    sources = sorted(ELIXIR_SOURCES.glob("*.ex"))
    key = digest(elixir_fingerprint(), *files_digest(sources))

    def build(tmp: Path) -> None:
        ebin = tmp / "ebin"
        ebin.mkdir()
        proc = subprocess.run(
            [executable("elixirc"), "--ignore-module-conflict", "-o", str(ebin), *map(str, sources)],
            capture_output=True,
            text=True,
            env=_elixir_env(),
        )
        if proc.returncode != 0:
            raise ToolchainError("the grader's Elixir code does not compile:\n" + proc.stderr + proc.stdout)
        for beam in ebin.iterdir():
            os.chmod(beam, 0o644)
        os.chmod(ebin, 0o755)

    return _publish(build, cache_root() / f"support-{key}") / "ebin"


def manifest(exercise: Exercise) -> list[dict]:
    """The tests the grader expects: name, module, points, visible, and their file.

    A mutation exercise's results are its implementations instead (``mutation_manifest``)."""
    if exercise.mutation is not None:
        return mutation_manifest(exercise)
    visible, hidden = exercise.visible_test_files, exercise.hidden_test_files
    key = digest(elixir_fingerprint(), str(support_ebin()), *files_digest(visible), b"hidden", *files_digest(hidden))
    path = cache_root() / f"manifest-{exercise.id}-{key}.json"
    if not path.exists():
        tests = _read_manifest(visible, True) + _read_manifest(hidden, False)
        names = [(t["module"], t["name"]) for t in tests]
        if len(set(names)) != len(names):
            raise ToolchainError(f"exercise {exercise.id}: two tests have the same module and name")
        _write_atomically(path, json.dumps(tests))
    return json.loads(path.read_text())


def mutation_manifest(exercise: Exercise) -> list[dict]:
    """One result per implementation a mutation exercise grades with, read from its metadata:
    the fixed one (visible: it is the behaviour the notebook asks for), then each mutant (hidden)."""
    mutation = exercise.mutation
    fixed = {"module": "mutation", "name": mutation.fixed_description, "points": mutation.fixed_points,
             "visible": True, "file": "", "implementation": mutation.fixed}
    return [fixed] + [{"module": "mutation", "name": m.description, "points": m.points, "visible": False,
                       "file": "", "implementation": m.name} for m in mutation.mutants]


def _read_manifest(files, visible: bool) -> list[dict]:
    if not files:
        return []
    code = "Grader.Manifest.main(System.argv())"
    proc = subprocess.run(
        [executable("elixir"), "-pa", str(support_ebin()), "-e", code, *map(str, files)],
        capture_output=True,
        text=True,
        env=_elixir_env(),
    )
    if proc.returncode != 0:
        raise ToolchainError("cannot list the tests of " + ", ".join(map(str, files)) + ":\n" + proc.stderr)
    tests = json.loads(proc.stdout.strip().splitlines()[-1])
    for test in tests:
        test["visible"] = visible
        test["file"] = Path(test["file"]).name
    return tests


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _elixir_env() -> dict:
    env = dict(os.environ)
    env.setdefault("LANG", "C.UTF-8")
    env.pop("MIX_ENV", None)
    return env
