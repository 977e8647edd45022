"""`python -m grader`: the contracts in design.md, and bad input refused without side effects."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import EXERCISE_ID, REPO


def grader(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=300
    )


def test_exercises_json_lists_the_contract_fields(warm):
    proc = grader("exercises", "--json")
    assert proc.returncode == 0, proc.stderr
    items = {e["id"]: e for e in json.loads(proc.stdout)}
    ex = items[EXERCISE_ID]
    assert set(ex) == {"id", "title", "section", "max_score", "starter", "solution"}
    assert ex["max_score"] == 11 and ex["section"] == "Bad vs Good"
    assert (REPO / ex["starter"]).is_file() and (REPO / ex["solution"]).is_file()


def test_check_json_is_one_object_in_the_contract_shape(warm, workdir, ex03):
    proc = grader("check", EXERCISE_ID, str(ex03.solution_path), "--json")
    assert proc.returncode == 0, proc.stderr
    grade = json.loads(proc.stdout)
    assert {"exercise", "status", "score", "max_score", "message", "tests"} <= set(grade)
    assert (grade["status"], grade["score"], grade["max_score"]) == ("pass", 11, 11)
    for test in grade["tests"]:
        assert set(test) == {"name", "status", "message", "output", "points", "visible"}


def test_check_without_json_prints_a_table(warm, workdir, ex03):
    proc = grader("check", EXERCISE_ID, str(ex03.starter_path))
    assert proc.returncode == 0
    assert "score 3/11" in proc.stdout and "✓" in proc.stdout and "✗" in proc.stdout
    assert "Playbook notes" in proc.stdout


def test_a_failing_grade_still_exits_zero(warm, workdir, tmp_path):
    broken = tmp_path / "broken.ex"
    broken.write_text("defmodule Billing.Charger do\n  def charge(a, b), do: nope(a, b)\nend\n")
    proc = grader("check", EXERCISE_ID, str(broken), "--json")
    assert proc.returncode == 0
    grade = json.loads(proc.stdout)
    assert grade["status"] == "error" and f"{broken}:2" in grade["message"]


def _bad_files(tmp_path):
    (tmp_path / "empty.ex").write_text("")
    (tmp_path / "blank.ex").write_text("  \n\n")
    (tmp_path / "binary.ex").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    (tmp_path / "latin1.ex").write_bytes("defmodule Caf\xe9 do\nend\n".encode("latin-1"))
    (tmp_path / "huge.ex").write_bytes(b"# x\n" * (10 * 1024 * 1024 // 4))
    (tmp_path / "adir.ex").mkdir()
    return {
        "empty": (tmp_path / "empty.ex", "empty"),
        "blank": (tmp_path / "blank.ex", "empty"),
        "binary": (tmp_path / "binary.ex", "binary"),
        "not utf-8": (tmp_path / "latin1.ex", "UTF-8"),
        "10 MB": (tmp_path / "huge.ex", "too large"),
        "missing": (tmp_path / "nope.ex", "no such file"),
        "directory": (tmp_path / "adir.ex", "not a regular file"),
    }


@pytest.mark.parametrize("case", ["empty", "blank", "binary", "not utf-8", "10 MB", "missing", "directory", "unknown id"])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, case):
    (tmp_path / "in").mkdir()
    files = _bad_files(tmp_path / "in")
    cache, work = tmp_path / "cache", tmp_path / "work"
    cache.mkdir(), work.mkdir()
    env = {**os.environ, "OTP_GRADER_CACHE": str(cache), "OTP_GRADER_WORKDIR": str(work)}
    if case == "unknown id":
        path, words, exercise_id = files["empty"][0], "unknown exercise", "99_nope"
        path.write_text("defmodule X do\nend\n")
    else:
        (path, words), exercise_id = files[case], EXERCISE_ID
    proc = grader("check", exercise_id, str(path), "--json", env=env)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]
    assert list(cache.iterdir()) == [] and list(work.iterdir()) == []


def test_bad_arguments_exit_2():
    assert grader("check", EXERCISE_ID).returncode == 2
    assert grader("frobnicate").returncode == 2


def test_require_sandbox_refuses_rather_than_grading_with_fewer_protections(warm, ex03):
    venv_only = {**os.environ, "PATH": os.path.dirname(sys.executable)}  # no bwrap on PATH
    proc = grader("check", EXERCISE_ID, str(ex03.solution_path), "--require-sandbox", env=venv_only)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: this grade must run in the sandbox, and bubblewrap is not installed")
    assert proc.stderr.rstrip().endswith("nothing was graded")
