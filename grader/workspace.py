"""A fresh directory per run: the exercise's mix project with the learner's file in place.

Hidden tests are not in it: they reach the VM through a pipe (see ``sandbox.run``).

Layout (shown to the code as /workspace, read-only)::

    project/            copy of exercises/<id>/project
      lib/...           the learner's file replaces the starter
      _build/           in the sandbox, a fresh tmpfs (SCRATCH_MB): Mix's build of the
                        skeleton, copied from the cache, is shown at BUILD_SEED and copied in
                        before anything compiles
    home/  tmp/         HOME and TMPDIR; tmpfs too in the sandbox
    toolchain/ebin/     the grader's compiled Elixir modules

Without bubblewrap the same folders are the writable ones, on the host's disk, and belong to
the sandbox user when the grader is root.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .exercise import Exercise

SCRATCH_MB = {"project/_build": 64, "home": 16, "tmp": 32}
WRITABLE = tuple(SCRATCH_MB)
BUILD_SEED = "/seed/_build"
SKIP = shutil.ignore_patterns("_build", "deps", ".elixir_ls", "erl_crash.dump", "cover")


def workdir_root() -> str | None:
    return os.environ.get("OTP_GRADER_WORKDIR") or None


class Workspace:
    def __init__(self, exercise: Exercise, source: str, *, build: Path | None, ebin: Path, owner: int | None):
        self.exercise = exercise
        self.path = Path(tempfile.mkdtemp(prefix=f"otp-grade-{exercise.id}-", dir=workdir_root()))
        os.chmod(self.path, 0o755)
        try:
            self._fill(source, build, owner)
            shutil.copytree(ebin, self.path / "toolchain" / "ebin")
        except BaseException:
            self.remove()
            raise

    def _fill(self, source: str, build: Path | None, owner: int | None) -> None:
        project = self.path / "project"
        shutil.copytree(self.exercise.project_dir, project, ignore=SKIP)
        learner = project / self.exercise.learner_file
        learner.write_text(source, encoding="utf-8")
        if build is not None:
            shutil.copytree(build, project / "_build", symlinks=True)
        else:
            (project / "_build").mkdir()
        for name in ("home", "tmp"):
            (self.path / name).mkdir()
        if owner is not None:
            for rel in WRITABLE:
                _chown_tree(self.path / rel, owner)

    @property
    def seeds(self) -> dict[str, Path]:
        """What the sandboxed run copies into its scratch space: the skeleton build."""
        return {BUILD_SEED: self.path / "project" / "_build"}

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _chown_tree(root: Path, uid: int) -> None:
    os.chown(root, uid, uid, follow_symlinks=False)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)
