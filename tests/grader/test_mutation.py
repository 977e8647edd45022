"""The mutation mode (grader/mutation.py, Grader.Mutation): the learner's file is a test file,
graded by which hidden implementations its tests tell from the fixed one. Graded on the real
exercise 19 with short limits; every run must change nothing outside its workspace and leave
no process behind."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import struct
import subprocess
import time

import pytest

from grader import engine, exercise, mutation, toolchain

from .conftest import CANARY_DIR, sandbox_processes, watched_state

EXERCISE_ID = "19_write_the_test"
LIMIT = 20  # seconds of wall clock per grading VM in these tests


@pytest.fixture(scope="module")
def ex19():
    ex = exercise.load(EXERCISE_ID)
    engine.max_score(ex)
    engine.skeleton_build(ex)
    mutation.implementations(ex)
    return dataclasses.replace(ex, timeout_seconds=LIMIT, test_timeout_seconds=3)


@pytest.fixture
def graded(ex19, workdir):
    def run(body: str, *, policy: bool = True, ex=None):
        ex = ex or ex19
        before = own_state(ex)
        grade = engine.grade(ex, test_file(body), policy=policy)
        print(grade.message)
        after = own_state(ex)
        changed = {path for path in before if after.get(path) != before[path]}
        cache = str(toolchain.cache_root())
        added = {path for path in after.keys() - before.keys() if not path.startswith(cache)}
        assert not changed and not added, f"files outside the workspace changed: {changed | added}"
        assert list(workdir.iterdir()) == [], "the workspace was not removed"
        assert sandbox_processes(workdir) == [], "a process of the run is still alive"
        return grade

    return run


def own_state(ex) -> dict:
    """``watched_state`` without the canary directory, which other grader tests (maybe another
    session's, on this machine) rewrite while these run; no test here aims at it."""
    return {path: state for path, state in watched_state(ex).items() if not path.startswith(str(CANARY_DIR))}


def test_file(body: str) -> str:
    return ("defmodule Billing.SeatPriceTest do\n  use ExUnit.Case, async: true\n\n  alias Billing.SeatPrice\n\n"
            f"{body}\nend\n")


test_file.__test__ = False

REPORTED = "exactly 10 seats billed full price (the reported bug)"
FIXED = "your tests pass on the fixed implementation and check its answers"
HAPPY = '  test "a small team" do\n    assert SeatPrice.total(3, 1_200) == {:ok, 3_600}\n  end\n'
TEN = '  test "ten seats" do\n    assert SeatPrice.total(10, 1_200) == {:ok, 10_800}\n  end\n'


def by_name(grade) -> dict[str, str]:
    return {t.name: t.status for t in grade.tests}


def test_the_results_are_the_fixed_implementation_then_one_per_mutant(ex19):
    names = [t["name"] for t in toolchain.manifest(ex19)]
    assert names[0] == FIXED and REPORTED in names
    assert engine.max_score(ex19) == ex19.mutation.fixed_points + sum(m.points for m in ex19.mutation.mutants)
    assert engine.max_score(ex19, include_hidden=False) == ex19.mutation.fixed_points


def test_a_test_file_that_asserts_nothing_scores_0(graded):
    grade = graded('  test "prices" do\n    SeatPrice.total(10, 1_200)\n    SeatPrice.total(9, 1_200)\n  end\n')
    assert (grade.status, grade.score) == ("fail", 0)
    assert "check nothing" in grade.message


def test_a_file_with_no_test_scores_0_and_says_so(graded):
    grade = graded("  def helper, do: :ok\n")
    assert grade.score == 0
    assert "defines no test" in grade.message


def test_a_test_that_fails_on_the_fixed_implementation_gets_no_mutant_points_and_says_which(graded):
    buggy = '  test "ten seats pay full price" do\n    assert SeatPrice.total(10, 1_200) == {:ok, 12_000}\n  end\n'
    grade = graded(TEN.replace("ten seats", "ten seats again") + buggy)
    assert grade.score == 0
    assert all(t.status == "fail" for t in grade.tests)
    assert "ten seats pay full price" in grade.message and "fixed implementation" in grade.message
    assert "12_000" in grade.message or "12000" in grade.message, "the failure itself is shown"


def test_the_reported_bug_alone_earns_its_points(graded, ex19):
    grade = graded(TEN)
    statuses = by_name(grade)
    assert statuses[FIXED] == "pass" and statuses[REPORTED] == "pass"
    assert grade.score == ex19.mutation.fixed_points + 7
    assert "Your tests catch: " + REPORTED in grade.message and "Your tests let through: " in grade.message


REFLECTION = {
    "module_info md5": '  test "which one" do\n    assert SeatPrice.module_info(:md5) != ""\n  end\n',
    "__info__": '  test "which one" do\n    assert SeatPrice.__info__(:md5) != ""\n  end\n',
    "computed module_info": '  test "which one" do\n    m = Enum.at([SeatPrice], 0)\n'
                            '    assert apply(m, :module_info, [:md5]) != ""\n  end\n',
    "erlang md5": '  test "which one" do\n    assert :erlang.md5(inspect(SeatPrice.total(10, 1))) != ""\n  end\n',
    "get_module_info": '  test "which one" do\n    assert :erlang.get_module_info(SeatPrice, :md5) != ""\n  end\n',
    "code server": '  test "which one" do\n    assert :code.which(SeatPrice) != ""\n  end\n',
    "beam_lib": '  test "which one" do\n    assert :beam_lib.md5(~c"x") != ""\n  end\n',
    "randomness": '  test "luck" do\n    assert :rand.uniform(2) == 1\n  end\n',
    "clock": '  test "luck" do\n    assert rem(System.monotonic_time(), 2) == 0\n  end\n',
    "unique values": '  test "luck" do\n    assert rem(System.unique_integer(), 2) == 0\n  end\n',
    "random order": '  test "luck" do\n    assert hd(Enum.shuffle([1, 2])) == 1\n  end\n',
    "processes": '  test "luck" do\n    spawn(fn -> :ok end)\n    assert true\n  end\n',
}


AT_RUN_TIME = {"computed module_info", "get_module_info"}


@pytest.mark.parametrize("attack", REFLECTION, ids=list(REFLECTION))
def test_telling_implementations_apart_by_their_build_or_by_luck_is_refused_by_the_check(graded, attack):
    """Refused before anything is loaded; a call whose target is known only at run time is refused
    by the guard when it runs, so the test fails on the fixed implementation: 0 either way."""
    grade = graded(HAPPY + REFLECTION[attack])
    assert grade.score == 0, grade.message
    if attack in AT_RUN_TIME:
        assert "not allowed in this exercise" in grade.message and "fixed implementation" in grade.message
    else:
        assert grade.status == "error" and ("does not allow" in grade.message or "never needs" in grade.message)


def test_the_implementations_differ_in_their_code_only(ex19):
    """Same module, same exports, same chunks; no compile info, debug info or docs (the file,
    options and time of the build) and no line numbers left to differ."""
    compiled = mutation.implementations(ex19)
    assert set(compiled) == set(ex19.mutation.names())
    assert len({(c["module"], tuple(c["exports"])) for c in compiled.values()}) == 1
    chunks = {name: beam_chunks(base64.b64decode(c["data"])) for name, c in compiled.items()}
    assert len({tuple(ids) for ids in chunks.values()}) == 1, chunks
    assert not {"CInf", "Dbgi", "Docs", "Abst"} & set(next(iter(chunks.values())))


def beam_chunks(binary: bytes) -> list[str]:
    if binary[:2] == b"\x1f\x8b":
        binary = gzip.decompress(binary)
    assert binary[:4] == b"FOR1" and binary[8:12] == b"BEAM"
    ids, at = [], 12
    while at < len(binary):
        ident, size = binary[at:at + 4].decode(), struct.unpack(">I", binary[at + 4:at + 8])[0]
        ids.append(ident)
        at += 8 + (size + 3) // 4 * 4
    return ids


FORGED = ('  test "forged" do\n'
          '    for name <- ["test ten seats", "test a small team"] do\n'
          '      IO.puts(~s({"event":"test","module":"Billing.SeatPriceTest","name":"#{name}","status":"fail"}))\n'
          '      IO.puts(~s({"event":"suite_started"}))\n'
          "    end\n"
          "    assert true\n  end\n")


def test_printing_record_like_lines_gains_nothing(graded):
    grade = graded(FORGED)
    assert (grade.status, grade.score) == ("fail", 0), grade.message
    assert graded(HAPPY + FORGED).score == graded(HAPPY).score


@pytest.mark.parametrize("call", [
    'Grader.Channel.emit(%{event: "test", module: "Billing.SeatPriceTest", name: "test x", status: "fail"})',
    "GenServer.cast(Grader.Formatter, {:test_finished, nil})",
    "ExUnit.Server.modules_loaded()",
])
def test_calling_the_formatter_or_the_channel_is_refused(graded, call):
    body = f'  test "forged" do\n    {call}\n    assert true\n  end\n'
    assert (graded(HAPPY + body).status, graded(HAPPY + body).score) == ("error", 0)
    # With the checks only reporting, the sandbox still holds: whatever the call does, it does on
    # every implementation alike, so it catches no mutant.
    unchecked = graded(HAPPY + body, policy=False)
    assert [t.name for t in unchecked.tests if t.status == "pass" and not t.visible] == [], unchecked.message


def test_defining_the_module_under_test_does_not_replace_it(graded):
    fake = ("defmodule Billing.SeatPrice do\n  def total(10, _unit), do: {:ok, 0}\n  def total(_s, _u), do: {:ok, 1}\nend\n\n")
    grade = graded(TEN + "end\n\n" + fake + "defmodule Billing.Unused do")
    assert by_name(grade)[REPORTED] == "pass", grade.message  # graded against the real implementations


def test_a_test_that_hangs_on_a_mutant_catches_it_within_the_limits(graded, ex19):
    hang = ('  @tag timeout: :infinity\n  test "hangs unless ten seats are discounted" do\n'
            "    if SeatPrice.total(10, 1_200) != {:ok, 10_800}, do: spin(0)\n"
            "    assert SeatPrice.total(3, 1_200) == {:ok, 3_600}\n  end\n\n"
            "  defp spin(n), do: spin(n + 1)\n")
    started = time.monotonic()
    grade = graded(hang)
    took = time.monotonic() - started
    statuses = by_name(grade)
    assert statuses[REPORTED] == "pass" and statuses[FIXED] == "pass", grade.message
    runs = len(ex19.mutation.names())
    assert took < runs * (LIMIT + 10), f"{took:.0f} s"


def test_a_test_stopped_by_its_own_time_limit_on_a_mutant_catches_it(graded):
    hang = ('  test "hangs unless ten seats are discounted" do\n'
            "    if SeatPrice.total(10, 1_200) != {:ok, 10_800}, do: spin(0)\n"
            "    assert SeatPrice.total(3, 1_200) == {:ok, 3_600}\n  end\n\n"
            "  defp spin(n), do: spin(n + 1)\n")
    grade = graded(hang)
    assert by_name(grade)[REPORTED] == "pass", grade.message


def test_a_mutation_exercise_starter_must_be_a_test_file_and_others_keep_lib(tmp_path):
    root = tmp_path / "course"
    (root / "exercises").mkdir(parents=True)
    ex = exercise.load(EXERCISE_ID)
    import shutil

    shutil.copytree(ex.dir, root / "exercises" / EXERCISE_ID, ignore=shutil.ignore_patterns("_build"))
    (root / "solutions" / EXERCISE_ID).mkdir(parents=True)
    shutil.copy(ex.solution_path, root / "solutions" / EXERCISE_ID)
    toml = root / "exercises" / EXERCISE_ID / "exercise.toml"
    assert exercise.load(EXERCISE_ID, root).mutation is not None
    text = toml.read_text()
    toml.write_text(text.replace("project/test/billing/seat_price_test.exs", "project/lib/billing/seat_price.ex"))
    with pytest.raises(exercise.ExerciseError, match="must be a \\*_test.exs file under project/test/"):
        exercise.load(EXERCISE_ID, root)
    toml.write_text(text.split("\n[mutation]\n")[0])
    with pytest.raises(exercise.ExerciseError, match="under project/lib/"):
        exercise.load(EXERCISE_ID, root)


def test_use_exunit_case_passes_the_static_check_only_when_allowed():
    source = test_file(HAPPY)
    script = ("[f, allow] = System.argv(); allow = String.split(allow, \",\", trim: true)\n"
              "IO.puts(IO.iodata_to_binary(Grader.JSON.encode(Grader.Policy.check(File.read!(f), allow))))")
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".exs") as f:
        f.write(source)
        f.flush()
        found = {}
        for allow in ("", "ExUnit.Case"):
            out = subprocess.run([toolchain.executable("elixir"), "-pa", str(toolchain.support_ebin()), "-e", script,
                                  f.name, allow], capture_output=True, text=True, check=True).stdout
            found[allow] = json.loads(out.strip().splitlines()[-1])["violations"]
    assert found[""] and "ExUnit.Case" in found[""][0]["message"]
    assert found["ExUnit.Case"] == []


def test_running_out_of_a_time_limit_nearly_used_up_on_the_fixed_implementation_catches_nothing(graded):
    """A test that takes most of its limit on correct code would catch mutants by the machine's load:
    its time-outs do not count (no clock is allowed, so its own limit is all a test can measure)."""
    slow = ('  test "slow, and hangs unless ten seats are discounted" do\n'
            "    receive do\n    after\n      2_000 -> :ok\n    end\n\n"
            "    if SeatPrice.total(10, 1_200) != {:ok, 10_800} do\n      receive do\n      after\n        60_000 -> :ok\n"
            "      end\n    end\n\n    assert SeatPrice.total(3, 1_200) == {:ok, 3_600}\n  end\n")
    grade = graded(slow)
    assert by_name(grade)[REPORTED] == "fail", grade.message
    assert grade.score == 0, "the sentinel is not caught either: the file checks nothing that counts"


def test_the_test_process_pid_is_not_in_the_context(graded, ex19):
    """Elixir 1.18 puts the test's pid in its context; printed, it could differ between runs."""
    body = ('  setup context do\n    %{pid_in_setup: Map.get(context, :test_pid)}\n  end\n\n'
            '  test "no pid", context do\n    assert Map.get(context, :test_pid) == nil\n'
            "    assert context.pid_in_setup == nil\n    assert SeatPrice.total(3, 1_200) == {:ok, 3_600}\n  end\n")
    grade = graded(body)
    assert by_name(grade)[FIXED] == "pass", grade.message
