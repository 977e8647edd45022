"""The kernel's Elixir modules, tested in Elixir: their doctests and a few unit tests."""

import subprocess
from pathlib import Path

import iex_kernel.session

HERE = Path(__file__).parent


def test_elixir_modules_pass_their_tests(tmp_path):
    result = subprocess.run(
        ["elixir", "-r", str(HERE / "elixir_side_test.exs")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "IEXK_SRC": str(iex_kernel.session.ELIXIR_DIR)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failures" in result.stdout
