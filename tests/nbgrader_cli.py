"""Runs nbgrader's command line as an instructor does, from a course folder, with this checkout's
packages (grader, iex_kernel) importable by its nbgrader_config.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def nbgrader(root: Path, *args: str, force: bool = True) -> subprocess.CompletedProcess:
    """`nbgrader ARGS` in ``root``; fails the test with nbgrader's output if it exits non-zero."""
    command = [sys.executable, "-m", "nbgrader", *args, *(["--force"] if force else [])]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": str(REPO),
                                 "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    assert result.returncode == 0, result.stdout + result.stderr
    return result
