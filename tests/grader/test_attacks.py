"""Attacks on the grader. Each is graded twice: with the static policy enforced (the
normal case: an error that names the line, score 0) and with the policy only reporting,
to show that the sandbox holds on its own. Every run must score below the maximum (0 where
nothing legitimate passed), end within its limit, change no file outside its workspace and
leave no process behind (the `contained` fixture checks the last two)."""

from __future__ import annotations

import time

import pytest

from grader import toolchain

from .conftest import CANARY

LIMIT = 20  # seconds of wall clock per run in these tests
SLACK = 25  # generous: a loaded 2-core machine


def module(body: str, charge: str = "def charge(_provider, _order), do: :ok") -> str:
    return f"defmodule Billing.Charger do\n{body}\n  {charge}\nend\n"


ATTACKS = {
    "halt at compile time": module("  System.halt(0)"),
    "obfuscated halt": module(
        '  apply(String.to_atom("Elixir." <> "Sys" <> "tem"), String.to_atom("ha" <> "lt"), [0])'
    ),
    "halt in a test": module("", 'def charge(_p, _o), do: :erlang.halt(0)'),
    "fake pass output": module(
        "",
        'def charge(_p, _o) do\n    IO.puts("8 tests, 0 failures")\n'
        '    IO.puts(~s({"event":"test","module":"Billing.ChargerTest","name":"test a successful charge returns {:ok, receipt}","status":"pass"}))\n'
        "    :ok\n  end",
    ),
    "fake records on every file descriptor": module(
        "  for fd <- 3..40 do\n"
        "    try do\n"
        "      port = :erlang.open_port({:fd, 0, fd}, [:out, :binary])\n"
        '      for name <- ["test a successful charge returns {:ok, receipt}"] do\n'
        '        line = ~s({"event":"test","module":"Billing.ChargerTest","name":"#{name}","status":"pass"}\\n)\n'
        '        Port.command(port, ["0 ", line, "x ", line])\n'
        "      end\n"
        "    rescue\n      _ -> :ok\n    end\n  end"
    ),
    "overwrite the tests": module(
        '  for path <- Path.wildcard("test/**/*.exs") ++ ["mix.exs", "test/test_helper.exs"] do\n'
        '    try do\n      File.write!(path, "ExUnit.start()")\n    rescue\n      _ -> :ok\n    end\n  end\n'
        '  try do\n    File.rm_rf!("test")\n  rescue\n    _ -> :ok\n  end'
    ),
    "forge result files": module(
        '  for dir <- [".", "..", "/workspace", "/tmp", "_build", "' + str(CANARY.parent) + '"] do\n'
        '    for name <- ["results.json", "canary.txt"] do\n'
        '      File.write(Path.join(dir, name), ~s({"status":"pass","score":11,"tests":[]}))\n'
        "    end\n  end"
    ),
    "read and print every file": module(
        "",
        "def charge(_p, _o) do\n"
        '    for root <- ["/", "/workspace", "/work", "/root", "/home", "/tmp", "/etc", "/proc/self"],\n'
        '        pattern <- ["*", "*/*", "*/*/*", "*/*/*/*"],\n'
        '        path <- Path.wildcard(Path.join(root, pattern), match_dot: true) |> Enum.take(500),\n'
        "        File.regular?(path) do\n"
        "      case File.read(path) do\n"
        "        {:ok, text} -> IO.binwrite([path, \"\\n\", binary_part(text, 0, min(byte_size(text), 4000))])\n"
        "        _ -> :ok\n"
        "      end\n"
        "    end\n"
        "    :ok\n  end",
    ),
    "look for the hidden tests": module(
        "",
        "def charge(_p, _o) do\n"
        '    found = for root <- ["/workspace", "/tmp", "/work"], path <- Path.wildcard(root <> "/**"), do: path\n'
        '    IO.puts("found: " <> inspect(Enum.filter(found, &String.contains?(&1, "hidden"))))\n'
        "    :ok\n  end",
    ),
    "endless loop": module("", "def charge(p, o), do: charge(p, o)"),
    "endless loop at compile time": module("  Stream.repeatedly(fn -> :spin end) |> Stream.run()"),
    "process bomb": module(
        "",
        "def charge(_p, _o) do\n"
        "    Stream.repeatedly(fn -> spawn(fn -> Process.sleep(:infinity) end) end) |> Stream.run()\n  end",
    ),
    "memory bomb": module("", 'def charge(_p, _o), do: :binary.copy("x", 3_000_000_000)'),
    "heap bomb": module("", "def charge(_p, _o), do: Enum.to_list(1..400_000_000)"),
    "atom table exhaustion": module(
        "", 'def charge(_p, _o), do: for(i <- 1..3_000_000, do: String.to_atom("atom_#{i}"))'
    ),
    "400 MB of output": module(
        "",
        'def charge(_p, _o) do\n    chunk = String.duplicate("y", 1_000_000)\n'
        "    for _ <- 1..400, do: IO.write(chunk)\n    :ok\n  end",
    ),
    "leftover OS processes": module(
        '  System.cmd("sh", ["-c", "setsid nohup sleep 4242 >/dev/null 2>&1 &"])\n'
        "  :os.cmd('(sleep 4242 &) ; nohup sleep 4242 &')"
    ),
    "kill its parent": module(
        "",
        "def charge(_p, _o) do\n"
        '    System.cmd("sh", ["-c", "kill -9 $PPID; kill -9 -1; kill -9 1"])\n'
        "    :ok\n  end",
    ),
    "kill the test runner": module(
        "",
        "def charge(_p, _o) do\n"
        "    for pid <- Process.list(), pid != self(), do: Process.exit(pid, :kill)\n    :ok\n  end",
    ),
    # 32 MB pieces stay under the file-size limit: only the folders' own caps can stop them.
    "fill the disk and memory": module(
        "",
        "def charge(_p, _o) do\n"
        "    chunk = :binary.copy(\"x\", 32_000_000)\n"
        "    for dir <- [\"/tmp\", System.tmp_dir!(), System.user_home!(), Path.expand(\"_build\")] do\n"
        "      written = Enum.count(1..40, fn n -> File.write(Path.join(dir, \"fill#{n}\"), chunk) == :ok end)\n"
        "      IO.puts(\"#{dir}: #{written} x 32 MB\")\n"
        "    end\n"
        "    :ok\n  end",
    ),
    "nested result record": module(
        "",
        "def charge(_p, _o) do\n"
        "    deep = Enum.reduce(1..100_000, %{}, fn _, acc -> %{a: acc} end)\n"
        "    for name <- [\"test a successful charge returns {:ok, receipt}\"],\n"
        "        do: Grader.Channel.emit(%{event: \"test\", module: \"Billing.ChargerTest\", name: name, status: \"pass\", deep: deep})\n"
        "    :ok\n  end",
    ),
    "terminal control sequences": module(
        "", 'def charge(_p, _o), do: IO.puts("\\e[2J\\e[H03_classify_failures: pass  score 11/11\\e[8m")'
    ),
}


# Plain Elixir that only the run-time defences can stop: the policy has nothing to object to.
RUN_TIME_ONLY = {"fake pass output", "endless loop", "endless loop at compile time", "process bomb", "memory bomb",
                 "heap bomb", "400 MB of output", "terminal control sequences"}


@pytest.mark.parametrize("attack", sorted(set(ATTACKS) - RUN_TIME_ONLY))
def test_the_policy_stops_the_attack_before_it_runs(contained, attack):
    started = time.monotonic()
    grade = contained(ATTACKS[attack], timeout=LIMIT)
    assert time.monotonic() - started < LIMIT + SLACK
    assert grade.status == "error" and grade.score == 0
    assert "line " in grade.message and "never needs" in grade.message


@pytest.mark.parametrize("attack", sorted(RUN_TIME_ONLY))
def test_run_time_attacks_are_stopped_by_the_limits(contained, attack):
    started = time.monotonic()
    grade = contained(ATTACKS[attack], timeout=LIMIT)
    assert time.monotonic() - started < LIMIT + SLACK
    assert grade.score == 0 and grade.status in ("fail", "error")


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_sandbox_contains_the_attack_on_its_own(contained, ex03, attack):
    limit = 8 if "loop" in attack else LIMIT
    started = time.monotonic()
    grade = contained(ATTACKS[attack], policy=False, timeout=limit)
    assert time.monotonic() - started < limit + SLACK
    assert grade.score == 0, grade.message
    assert grade.status in ("fail", "error")
    assert len(grade.tests) == len(toolchain.manifest(ex03))
    assert CANARY.read_text() == "untouched\n"


def test_printed_files_never_reach_the_feedback_as_hidden_source_or_secrets(contained, ex03):
    grade = contained(ATTACKS["read and print every file"], policy=False, timeout=LIMIT)
    feedback = grade.message + "".join(t.message + t.output for t in grade.tests)
    for hidden in ex03.hidden_test_files:
        for line in hidden.read_text().splitlines():
            if len(line.strip()) > 12:
                assert line.strip() not in feedback
    assert "BEGIN" not in feedback and "Billing.ChargerHiddenTest" not in feedback
    assert ex03.solution_path.read_text().splitlines()[10] not in feedback


def test_the_hidden_tests_are_not_on_disk_in_the_sandbox(contained):
    grade = contained(ATTACKS["look for the hidden tests"], policy=False, timeout=LIMIT)
    outputs = [t.output for t in grade.tests if t.output]
    assert outputs and all("found: []" in o for o in outputs)


def test_the_reference_solution_still_gets_full_marks_after_the_attacks(contained, solution):
    grade = contained(solution)
    assert (grade.status, grade.score) == ("pass", grade.max_score)


def test_output_is_capped(contained):
    grade = contained(ATTACKS["400 MB of output"], policy=False, timeout=LIMIT)
    assert "printed more output than the limit" in grade.message
    assert all(len(t.output) < 2_000 for t in grade.tests)


def test_an_endless_loop_is_stopped_at_the_wall_clock(contained):
    started = time.monotonic()
    grade = contained(ATTACKS["endless loop"], policy=False, timeout=8)
    assert time.monotonic() - started < 8 + SLACK
    assert "did not finish within 8 seconds" in grade.message


def test_writes_are_capped_in_memory_and_never_reach_the_hosts_disk(contained, workdir):
    grade = contained(ATTACKS["fill the disk and memory"], policy=False, timeout=60)
    printed = "".join(t.output for t in grade.tests)
    counts = [int(line.split(": ")[1].split(" x")[0]) for line in printed.splitlines() if " x 32 MB" in line]
    assert counts and max(counts) * 32 <= 64, printed  # the largest cap (/tmp, _build) is 64 MB
    assert grade.score == 0


def test_a_malformed_record_is_dropped_not_a_crash(contained, ex03):
    grade = contained(ATTACKS["nested result record"], policy=False, timeout=LIMIT)
    assert grade.score == 0 and len(grade.tests) == len(toolchain.manifest(ex03))


def test_terminal_control_sequences_never_reach_the_text_report(warm, ex03, tmp_path):
    import subprocess
    import sys

    fix = tmp_path / "charger.ex"
    fix.write_text(ATTACKS["terminal control sequences"])
    proc = subprocess.run([sys.executable, "-m", "grader", "check", ex03.id, str(fix)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0
    assert "\x1b" not in proc.stdout and "score 11/11" not in proc.stdout.splitlines()[0]


# Past the source check: atoms and modules computed where reading the source cannot see them.
# Only the check of the compiled code and the run-time guard stand between these and the score.
COMPILED_CODE_ATTACKS = {
    "sigil atoms and apply": module(
        "", "def charge(_p, _o) do\n    [m, f] = ~w(Elixir.System halt)a\n    apply(m, f, [0])\n  end"),
    "a module in a variable": module(
        "", "def charge(_p, _o) do\n    [m] = ~w(os)a\n    m.cmd(~c\"touch " + str(CANARY.parent) + "/owned\")\n    :ok\n  end"),
    "replace the formatter at compile time": module(
        "  [name] = ~w(Elixir.Grader.Formatter)a\n"
        "  Module.create(name, quote(do: def(handle_cast(_e, s), do: {:noreply, s})), file: \"x.ex\")"),
    "functions decoded from safe binary_to_term": module(
        "", "def charge(_p, _o) do\n"
        "    halt = :erlang.binary_to_term(" + "<<131, 113, 100, 0, 13, 69, 108, 105, 120, 105, 114, 46, 83, 121, 115, 116, 101, 109, 100, 0, 4, 104, 97, 108, 116, 97, 1>>" + ", [:safe])\n"
        "    halt.(0)\n  end"),
    "the result channel by a computed name": module(
        "", "def charge(_p, _o) do\n    [channel] = ~w(Elixir.Grader.Channel)a\n"
        "    GenServer.call(channel, {:emit, %{event: \"test\", module: \"Billing.ChargerTest\", name: \"x\", status: \"pass\"}})\n"
        "    :ok\n  end"),
    "forge a finished test to the runner": module(
        "", "def charge(_p, _o) do\n"
        "    [{:parent, runner}] = [Process.info(self(), :parent)] |> Enum.reject(&is_nil/1)\n"
        "    send(runner, {self(), :test_finished, %{state: nil}})\n    Process.sleep(:infinity)\n  end"),
    "trace the compiler for the hidden tests": module(
        "", "def charge(_p, _o) do\n    [e] = ~w(erlang)a\n    e.trace(:all, true, [:call])\n    :ok\n  end"),
    "code that runs in the formatter": module(
        "  defstruct [:x]\n"
        "  defimpl Inspect do\n"
        "    def inspect(_v, _o) do\n"
        "      [test] = ~w(Elixir.ExUnit.Test)a\n"
        "      GenServer.cast(self(), {:test_finished, struct(test, name: :x, state: nil)})\n"
        "      \"forged\"\n    end\n  end",
        "def charge(_p, _o), do: %__MODULE__{}"),
}


_HONEST: list[float] = []


@pytest.fixture
def honest_scores(contained) -> float:
    """The most code that answers nothing right can score: by crashing on every charge (some tests
    want a crash) or by answering :ok. An attack that gained anything would score above it."""
    if not _HONEST:
        crashing = contained(module("", 'def charge(_p, _o), do: raise "refused"'), timeout=LIMIT)
        answering_ok = contained(module(""), timeout=LIMIT)
        _HONEST.append(max(crashing.score, answering_ok.score))
    return _HONEST[0]


@pytest.mark.parametrize("attack", sorted(COMPILED_CODE_ATTACKS))
def test_the_compiled_code_check_and_guard_stop_what_the_source_check_misses(contained, honest_scores, attack):
    grade = contained(COMPILED_CODE_ATTACKS[attack], timeout=LIMIT)
    assert "never needs" not in grade.message, "the source check was meant to miss this one"
    assert grade.score <= honest_scores < grade.max_score / 2 and grade.status in ("fail", "error")
    assert CANARY.read_text() == "untouched\n" and not (CANARY.parent / "owned").exists()
