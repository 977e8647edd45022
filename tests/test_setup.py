"""The set-up: `make setup` tells a user without root what to install, the conda route is
complete, and the kernelspec and highlighting land in the project's venv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def bare_path(tmp_path) -> Path:
    """A PATH with the shell tools make needs, and no Elixir, Erlang, bwrap or apt-get."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "bash", "sh", "id", "env", "cat", "echo", "test", "touch", "dirname"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    return bin_dir


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run make as an unprivileged user")
def test_without_root_and_without_elixir_setup_says_what_to_run(bare_path, tmp_path):
    os.chmod(tmp_path, 0o755)
    result = subprocess.run(
        [shutil.which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", "make", "-C", str(REPO), "system-packages"],
        env={"PATH": str(bare_path), "HOME": str(tmp_path)}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "Missing system packages: elixir bubblewrap erlang-base erlang-dialyzer" in result.stdout
    assert "sudo apt-get install elixir" in result.stdout
    assert "conda env create -f environment.yml" in result.stdout


def test_environment_yml_is_a_complete_conda_environment():
    text = (REPO / "environment.yml").read_text()
    for requirement in ("conda-forge", "python=3.11", "erlang>=25", "elixir>=1.14", "pip", "-e .[test]"):
        assert requirement in text
    assert "name: otp-playbook" in text


def test_the_kernelspec_and_the_highlighting_live_in_the_venv():
    share = Path(sys.prefix) / "share" / "jupyter"
    assert (share / "kernels" / "elixir" / "kernel.json").exists()
    assert (share / "labextensions" / "jupyterlab-elixir-highlight" / "package.json").exists()
    overrides = (share / "lab" / "settings" / "overrides.json").read_text()
    assert '"windowingMode": "none"' in overrides


def test_a_second_setup_installs_nothing_again():
    result = subprocess.run(["make", "-C", str(REPO), "setup"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pip install" not in result.stdout and "apt-get" not in result.stdout
