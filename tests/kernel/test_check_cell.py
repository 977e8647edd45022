"""The check cell in a real kernel: it says what it grades at once, shows progress in place,
and ■ during a check ends the cell as not graded, with nothing left running."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from grader import engine, exercise
from tests.grader.conftest import sandbox_processes

from .conftest import Harness, wait_until

EXERCISE = "03_classify_failures"

HANGS = '''defmodule Billing.Charger do
  def charge(_provider, _order) do
    IO.puts("charging...")
    Process.sleep(:infinity)
  end
end'''


@pytest.fixture(scope="module")
def solution() -> str:
    return exercise.load(EXERCISE).solution_path.read_text()


@pytest.fixture
def grading_kernel(monkeypatch):
    """A kernel whose grading workspaces go to a folder of the test's own, to find what they leave."""
    workdir = Path(tempfile.mkdtemp(prefix="grader-test-"))
    os.chmod(workdir, 0o755)
    monkeypatch.setenv("OTP_GRADER_WORKDIR", str(workdir))
    monkeypatch.delenv("OTP_GRADER_AUTOGRADE", raising=False)
    harness = Harness()
    harness.workdir = workdir
    yield harness
    harness.close()


def test_the_check_cell_shows_progress_in_place_then_the_report(grading_kernel, solution):
    fresh_kernel = grading_kernel
    fresh_kernel.run(solution)
    run = fresh_kernel.run(f"%mix_test {EXERCISE}", timeout=180)
    visible = engine.max_score(exercise.load(EXERCISE), include_hidden=False)
    assert run.status == "ok" and run.result == f"{visible:g}"
    [first] = run.of_type("display_data")
    display_id = first["transient"]["display_id"]
    assert first["data"]["text/plain"].startswith(f"Grading cell In [1] (Billing.Charger) with the visible tests")
    updates = run.of_type("update_display_data")
    assert updates and all(u["transient"]["display_id"] == display_id for u in updates)
    assert "Graded cell In [1] (Billing.Charger), as it was when you ran it" in updates[-1]["data"]["text/plain"]
    assert not run.of_type("stream"), "nothing on stdout or stderr: the display carries it all"


def test_stop_during_a_check_ends_the_cell_as_not_graded(grading_kernel):
    fresh_kernel = grading_kernel
    fresh_kernel.run("kept = 42")
    fresh_kernel.run(HANGS)
    state = {}

    def stop_once_running(msg):
        text = msg["content"].get("data", {}).get("text/plain", "")
        if msg["msg_type"] == "update_display_data" and "now “" in text and "at" not in state:
            state["at"] = time.monotonic()
            fresh_kernel.km.interrupt_kernel()

    run = fresh_kernel.run(f"%mix_test {EXERCISE}", timeout=120, output_hook=stop_once_running)
    assert "at" in state, "the check never showed a running test"
    assert time.monotonic() - state["at"] < 10
    assert run.status == "error" and run.reply["ename"] == "Interrupted"
    assert "nothing was graded" in run.reply["evalue"]
    last = run.of_type("update_display_data")[-1]["data"]["text/plain"]
    assert "Stopped before it finished: nothing was graded." in last
    assert wait_until(lambda: sandbox_processes(fresh_kernel.workdir) == []), sandbox_processes(fresh_kernel.workdir)
    assert wait_until(lambda: list(fresh_kernel.workdir.iterdir()) == [])
    assert fresh_kernel.value("kept") == "42"
