"""The jail of a session nobody trusts: a learner's notebook being autograded.

With ``IEX_KERNEL_JAIL=1`` in the kernel's environment (the course's nbgrader_config.py sets it
for ``nbgrader autograde``), the session's VM runs in bubblewrap:

* the system directories read-only, and nothing else of the host: no home folders, no course
  repository (so no solutions, hidden tests or grader), no gradebook;
* the notebook's folder read-only at ``/submission-seed``, copied when the VM boots into
  ``/submission``, a tmpfs of its own capped at ``SUBMISSION_MB``: cells may write there, and
  what they write vanishes with the session;
* ``/tmp`` (HOME too) a capped tmpfs;
* no network (its own loopback only), its own pid namespace, so nothing it starts outlives
  it; an unprivileged user when the kernel runs as root; an environment of its own.

The kernel's Elixir side is compiled outside beforehand and seen read-only, and so is the
session's folder (the kernel writes each cell there). If bubblewrap cannot run here, the
session does not start and says why: an untrusted notebook never runs unjailed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ENV_VAR = "IEX_KERNEL_JAIL"
SUBMISSION = "/submission"
SEED = "/submission-seed"
SUBMISSION_MB = 64
TMP_MB = 64
UNPRIVILEGED_UID = 65534
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


class JailError(RuntimeError):
    """The jail cannot be set up here."""


def required() -> bool:
    return os.environ.get(ENV_VAR, "").lower() in ("1", "true", "yes")


def run_as() -> int | None:
    """The uid the jailed VM runs as: unprivileged when the kernel is root, else the kernel's."""
    return UNPRIVILEGED_UID if os.geteuid() == 0 else None


@lru_cache(maxsize=None)
def bubblewrap() -> str:
    """The bwrap binary, once it is known to work here; JailError saying why not otherwise."""
    path = shutil.which("bwrap")
    if not path:
        raise JailError("this notebook must run jailed, and bubblewrap is not installed (apt-get install bubblewrap)")
    uid = run_as()
    probe = [path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all", "--die-with-parent", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, timeout=20,
                                **({"user": uid, "group": uid, "extra_groups": []} if uid else {}))
    except (OSError, subprocess.SubprocessError) as exc:
        raise JailError(f"this notebook must run jailed, and bubblewrap does not start here ({exc})") from None
    if result.returncode != 0:
        raise JailError("this notebook must run jailed, and bubblewrap cannot create namespaces here: "
                        + result.stderr.decode(errors="replace").strip())
    return path


@dataclass(frozen=True)
class Staged:
    sources: Path
    cache: Path
    seed: Path


def stage(folder: Path, *, sources: Path, cache: Path, notebook_folder: Path) -> Staged:
    """Copies into the session's ``folder`` what the jailed VM needs of the host: the kernel's
    Elixir side, its compiled cache, and the notebook's folder (up to SUBMISSION_MB). The jail
    then sees no other host path than ``folder``, whoever owns the originals."""
    staged = Staged(folder / "src", folder / "cache", folder / "seed")
    shutil.copytree(sources, staged.sources)
    shutil.copytree(cache, staged.cache)
    budget = SUBMISSION_MB << 20
    skip = shutil.ignore_patterns("_build", "deps", ".ipynb_checkpoints", ".git")

    def copy_within_budget(src, dst):
        nonlocal budget
        budget -= os.path.getsize(src)
        if budget < 0:
            raise JailError(f"the notebook's folder holds more than {SUBMISSION_MB} MB: move large files out of it")
        return shutil.copy2(src, dst)

    shutil.copytree(notebook_folder, staged.seed, ignore=skip, copy_function=copy_within_budget, symlinks=False,
                    ignore_dangling_symlinks=True)
    return staged


def wrap(command: list[str], *, env: dict[str, str], seed: Path, readonly: list[str]) -> tuple[list[str], dict, dict]:
    """The jailed form of ``command``: its argv, its environment, and Popen's user settings.

    ``env`` is the VM's own environment (nothing else of the kernel's reaches it); ``seed`` is
    what the VM copies into its writable folder; ``readonly`` lists the host paths it sees
    where they are, read-only (the session's folder, the toolchain if it lives outside the
    system directories).
    """
    bwrap = bubblewrap()
    argv = [bwrap, "--unshare-all", "--die-with-parent", "--clearenv"]
    for directory in SYSTEM_DIRS:
        if os.path.islink(directory):
            argv += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            argv += ["--ro-bind", directory, directory]
    argv += ["--dev", "/dev", "--proc", "/proc"]
    argv += ["--size", str(TMP_MB << 20), "--tmpfs", "/tmp"]
    for path in readonly:  # after /tmp's tmpfs, which would hide the session's folder in it
        if not any(path == d or path.startswith(d + "/") for d in SYSTEM_DIRS):
            argv += ["--ro-bind", path, path]
    argv += ["--ro-bind", str(seed), SEED]
    argv += ["--size", str(SUBMISSION_MB << 20), "--tmpfs", SUBMISSION]
    inside = {**env, "HOME": "/tmp", "IEXK_SEED": SEED}
    for key, value in inside.items():
        argv += ["--setenv", key, value]
    argv += ["--chdir", SUBMISSION, "--", *command]
    uid = run_as()
    popen = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    return argv, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, popen


def toolchain_prefixes(executables: list[str]) -> list[str]:
    """Installation prefixes of the given executables (what a conda Elixir needs bound)."""
    return sorted({str(Path(exe).resolve().parent.parent) for exe in executables})
