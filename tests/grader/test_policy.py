"""The static policy check: it reads code as data and names the line of what is not allowed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from grader import engine, exercise, toolchain

REPO = exercise.repo_root()

DENIED = {
    "System.halt": "System.halt(0)",
    "init stop": ":init.stop()",
    "File": 'File.read!("/etc/passwd")',
    "Port": 'Port.open({:spawn, "ls"}, [])',
    "os cmd": ":os.cmd('ls')",
    "eval": 'Code.eval_string("1 + 1")',
    "computed apply module": 'apply(String.to_existing_atom("Elixir.File"), :read, ["x"])',
    "computed atom": 'String.to_atom("a" <> x)',
    "interpolated atom": ':"halt_#{x}"',
    "module as value": "m = System\nm.halt(0)",
    "erlang as value": "m = :erlang\nm.halt(0)",
    "alias of a denied module": "alias File, as: F",
    "test machinery": "ExUnit.Server.modules_loaded()",
    "grader machinery": 'Grader.Channel.emit(%{event: "test"})',
    "process list": "Process.list()",
    "sys state": ":sys.get_state(pid)",
    "capture of a denied function": "f = &System.halt/1",
    "module concat": 'Module.concat(["Sys", "tem"])',
    "unsafe binary_to_term": ":erlang.binary_to_term(bin)",
    "every persistent term": ":persistent_term.get()",
}

ALLOWED = {
    "dependency injection": "provider.charge(id, amount)",
    "keyword key named file": 'Logger.info("x", file: "a.ex")',
    "literal atom": 'String.to_atom("ok")',
    "existing safe functions": "System.monotonic_time(:millisecond) + :os.system_time()",
    "safe binary_to_term": ":erlang.binary_to_term(bin, [:safe])",
    "one persistent term": ":persistent_term.get({__MODULE__, :table})",
    "one persistent term with a default": ":persistent_term.get({__MODULE__, :table}, nil)",
    "init message": "send(self(), :init)",
}


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    def run(snippets: dict[str, str]) -> dict[str, dict]:
        folder = tmp_path_factory.mktemp("policy")
        paths = []
        for i, (name, body) in enumerate(snippets.items()):
            path = folder / f"{i}.ex"
            path.write_text(f"defmodule Billing.Snippet do\n  def run(x, pid, bin, provider, id, amount) do\n    {body}\n  end\nend\n")
            paths.append((name, path))
        script = "for f <- System.argv(), do: IO.puts(IO.iodata_to_binary(Grader.JSON.encode(Grader.Policy.check(File.read!(f)))))"
        proc = subprocess.run(
            [toolchain.executable("elixir"), "-pa", str(toolchain.support_ebin()), "-e", script, *[str(p) for _, p in paths]],
            capture_output=True,
            text=True,
            check=True,
        )
        return {name: json.loads(line) for (name, _), line in zip(paths, proc.stdout.strip().splitlines())}

    return run


def test_denied_code_is_a_violation_naming_the_line(check):
    results = check(DENIED)
    for name, result in results.items():
        assert result["violations"], f"{name} was not flagged"
        assert all(v["line"] in (3, 4) for v in result["violations"]), name
        assert all("never needs" in v["message"] for v in result["violations"]), name


def test_ordinary_code_passes(check):
    for name, result in check(ALLOWED).items():
        assert result["violations"] == [], name


def test_pitfalls_get_playbook_comments_not_violations(check):
    results = check(
        {
            "catch-all rescue": "try do\n      provider.charge(id, amount)\n    rescue\n      _ -> :ok\n    end",
            "catch-all catch": "try do\n      provider.charge(id, amount)\n    catch\n      _, _ -> :ok\n    end",
            "infinite timeout": "GenServer.call(pid, :get, :infinity)",
            "unbounded task": "Task.start(fn -> provider.charge(id, amount) end)",
        }
    )
    rules = {name: [c["rule"] for c in r["comments"]] for name, r in results.items()}
    assert rules == {
        "catch-all rescue": ["catch-all-rescue"],
        "catch-all catch": ["catch-all-catch"],
        "infinite timeout": ["infinite-timeout"],
        "unbounded task": ["unbounded-task"],
    }
    assert all(r["violations"] == [] for r in results.values())


def test_a_narrow_rescue_gets_no_comment(check):
    result = check({"narrow": "try do\n      provider.charge(id, amount)\n    rescue\n      e in [ArgumentError] -> reraise e, __STACKTRACE__\n    end"})
    assert result["narrow"]["comments"] == []


def check_file(tmp_path, source: str) -> dict:
    """The policy's findings on `source`, read from a file as the grader reads a submission."""
    path = tmp_path / "submission.ex"
    path.write_text(source)
    script = "IO.puts(IO.iodata_to_binary(Grader.JSON.encode(Grader.Policy.check(File.read!(hd(System.argv()))))))"
    proc = subprocess.run(
        [toolchain.executable("elixir"), "-pa", str(toolchain.support_ebin()), "-e", script, str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(proc.stdout)


def test_redefining_a_standard_module_is_a_violation(tmp_path):
    result = check_file(tmp_path, "defmodule Enum do\n  def map(_, _), do: :pwned\nend\n")
    assert result["violations"] and "redefines Enum" in result["violations"][0]["message"]


def test_a_nested_module_is_checked_by_the_name_it_defines(tmp_path):
    nested = "defmodule Shop.Breaker do\n  defmodule Config do\n    defstruct [:cooldown_ms]\n  end\nend\n"
    assert check_file(tmp_path, nested)["violations"] == []
    escaping = "defmodule Shop do\n  defmodule Elixir.Enum do\n    def map(_, _), do: :pwned\n  end\nend\n"
    assert "redefines Enum" in check_file(tmp_path, escaping)["violations"][0]["message"]
    machinery = "defmodule ExUnit do\n  defmodule Runner do\n  end\nend\n"
    assert any("ExUnit.Runner" in v["message"] for v in check_file(tmp_path, machinery)["violations"])


def test_the_review_rules_an_exercise_may_quiet_are_the_ones_the_check_makes():
    source = (REPO / "grader" / "elixir" / "lib" / "policy.ex").read_text(encoding="utf-8")
    made = set(re.findall(r'add_comment\([^"]*"([a-z-]+)"', source))
    assert made == set(exercise.REVIEW_RULES)


def test_an_exercise_quieting_a_rule_the_check_does_not_make_is_refused(tmp_path):
    shutil.copytree(REPO / "exercises" / "12_opaque_errors", tmp_path / "exercises" / "12_opaque_errors")
    shutil.copytree(REPO / "solutions" / "12_opaque_errors", tmp_path / "solutions" / "12_opaque_errors")
    toml = tmp_path / "exercises" / "12_opaque_errors" / "exercise.toml"
    toml.write_text(toml.read_text().replace('"catch-all-catch"', '"catch-all"'))
    with pytest.raises(exercise.ExerciseError, match="quiet names no review rule: 'catch-all'"):
        exercise.load("12_opaque_errors", tmp_path)


def test_a_quieted_review_note_is_left_out_of_the_grade_and_the_others_stay():
    policy = {"comments": [{"line": 3, "rule": "catch-all-catch", "section": "Bad vs Good", "message": "m"},
                           {"line": 9, "rule": "io-logging", "section": "Default Standards", "message": "n"}]}
    assert [c["rule"] for c in engine._comments(policy, ("catch-all-catch",))] == ["io-logging"]
    assert [c["rule"] for c in engine._comments(policy)] == ["catch-all-catch", "io-logging"]
