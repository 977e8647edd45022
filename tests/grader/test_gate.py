"""The validation gate (`[gate]` in exercise.toml): each check fails exactly the submissions it is
about, says where and why, and none can be passed by silencing it.

The fixture is exercise 08 with a `[gate]` table and one spec'd function added to its starter
and reference, so the checks run against a real project and its real tests."""

from __future__ import annotations

import shutil

import pytest

from grader import engine, exercise, gate
from grader.results import FAIL, PASS

from .conftest import REPO

EXERCISE = "08_retry_policy"
SPEC = """  @spec attempts_left(pos_integer()) :: non_neg_integer()
  def attempts_left(n), do: @max_attempts - n

  def create_label("""
FIRST_LINE_OF_BODY = "    sleep = Keyword.get("
CHECKS = {check: gate.NAMES[check] for check in exercise.GATE_CHECKS}


def with_spec(text: str) -> str:
    return text.replace("  def create_label(", SPEC, 1)


@pytest.fixture(scope="module")
def gated(tmp_path_factory) -> exercise.Exercise:
    root = tmp_path_factory.mktemp("gated")
    shutil.copytree(REPO / "exercises" / EXERCISE, root / "exercises" / EXERCISE,
                    ignore=shutil.ignore_patterns("_build", "deps"))
    shutil.copytree(REPO / "solutions" / EXERCISE, root / "solutions" / EXERCISE)
    ex = exercise.load(EXERCISE, root)
    for path in (ex.starter_path, ex.solution_path):
        path.write_text(with_spec(path.read_text()))
    toml = ex.dir / "exercise.toml"
    toml.write_text(toml.read_text() + "\n[gate]\nformat = 1\nwarnings = 2\nxref = 3\ndialyzer = 4\n")
    return exercise.load(EXERCISE, root)


@pytest.fixture(scope="module")
def reference(gated) -> str:
    return gated.solution_path.read_text()


def gate_results(grade) -> dict[str, tuple[str, str]]:
    by_name = {t.name: (t.status, t.message) for t in grade.tests}
    return {check: by_name[name] for check, name in CHECKS.items()}


def failing(grade) -> dict[str, str]:
    return {check: message for check, (status, message) in gate_results(grade).items() if status != PASS}


def test_the_gate_checks_are_results_with_their_points_after_the_tests(gated, reference):
    grade = engine.grade(gated, reference)
    tests = len(engine.expected_tests(gated)) - 4
    assert [t.name for t in grade.tests[tests:]] == list(CHECKS.values())
    assert [t.points for t in grade.tests[tests:]] == [1, 2, 3, 4]
    assert grade.max_score == engine.max_score(gated) == engine.max_score(exercise.load(EXERCISE)) + 10
    assert (grade.status, grade.score, failing(grade)) == (PASS, grade.max_score, {})


# Each bad submission: what it changes in the reference, the one check it fails, and what the
# message must point at.
BAD = {
    "unformatted": (("def attempts_left(n), do: @max_attempts - n", "def attempts_left(n),do: @max_attempts-n"),
                    "format", ["line 21", "mix format writes `def attempts_left(n), do: @max_attempts - n`"]),
    "unused variable": ((FIRST_LINE_OF_BODY, "    unused = 1\n" + FIRST_LINE_OF_BODY),
                        "warnings", ["line 24", 'variable "unused" is unused']),
    "undefined call": ((FIRST_LINE_OF_BODY, "    if opts[:legacy], do: Shipping.Legacy.buy(shipment)\n" + FIRST_LINE_OF_BODY),
                       "xref", ["line 24", "Shipping.Legacy.buy/1", "undefined"]),
    "spec changed": (("@spec attempts_left(pos_integer()) :: non_neg_integer()", "@spec attempts_left(integer()) :: term()"),
                     "dialyzer", ["attempts_left/1 was changed", "keep `attempts_left(pos_integer()) :: non_neg_integer()`"]),
    "spec removed": (("  @spec attempts_left(pos_integer()) :: non_neg_integer()\n", ""),
                     "dialyzer", ["attempts_left/1 is missing"]),
    "code breaks its spec": (("do: @max_attempts - n", "do: {:ok, @max_attempts - n}"),
                             "dialyzer", ["line 20", "Invalid type specification", "attempts_left/1"]),
    "Dialyzer silenced": (("  def attempts_left(n), do: @max_attempts - n",
                           "  @dialyzer {:nowarn_function, attempts_left: 1}\n  def attempts_left(n), do: {:ok, @max_attempts - n}"),
                          "dialyzer", ["line 21", "silences Dialyzer"]),
}


@pytest.mark.parametrize("change, check, says", BAD.values(), ids=BAD.keys())
def test_a_submission_the_gate_rejects_fails_that_check_only_and_is_told_where(gated, reference, change, check, says):
    source = reference.replace(*change)
    assert source != reference
    grade = engine.grade(gated, source)
    assert list(failing(grade)) == [check]
    assert all(part in failing(grade)[check] for part in says), failing(grade)[check]
    assert failing(grade)[check].endswith(gate.ADVICE[check])
    assert grade.score == grade.max_score - dict(gated.gate)[check]


def test_silencing_the_compiler_fails_the_warnings_check_although_the_warning_is_gone(gated, reference):
    source = reference.replace("  @max_attempts 3", "  @compile {:no_warn_undefined, Shipping.Legacy}\n  @max_attempts 3")
    source = source.replace(FIRST_LINE_OF_BODY, "    if opts[:legacy], do: Shipping.Legacy.buy(shipment)\n" + FIRST_LINE_OF_BODY)
    grade = engine.grade(gated, source)
    assert list(failing(grade)) == ["warnings"]
    assert "line 17: `@compile {:no_warn_undefined, Shipping.Legacy}` silences the compiler" in failing(grade)["warnings"]


def test_a_file_without_its_last_newline_is_told_so(gated, reference):
    grade = engine.grade(gated, reference.rstrip("\n"))
    assert failing(grade) == {"format": "the file does not end with a newline (mix format adds one)\n" + gate.ADVICE["format"]}


def test_an_exercise_without_a_gate_expects_and_runs_no_gate_check():
    ex = exercise.load(EXERCISE)
    assert ex.gate == () and gate.expected(ex) == []
    assert all(t["module"] != gate.MODULE for t in engine.expected_tests(ex))


# --- the results, from records: what counts and what does not --------------------------------


def test_a_check_the_grading_vm_did_not_report_exactly_once_fails(gated):
    format_record = {"event": "gate", "check": "format", "findings": []}
    dialyzer_record = {"event": "gate", "check": "dialyzer", "findings": []}
    compiled = {"event": "compile", "ok": True, "warnings": []}
    records = {r["name"]: r for r in gate.test_records(gated, [compiled, format_record, format_record])}
    assert records[CHECKS["format"]]["status"] == FAIL
    assert records[CHECKS["dialyzer"]]["status"] == FAIL
    assert "did not report" in records[CHECKS["dialyzer"]]["message"]
    records = {r["name"]: r for r in gate.test_records(gated, [compiled, format_record, dialyzer_record,
                                                               {"event": "gate", "check": "silenced", "findings": []}])}
    assert {r["status"] for r in records.values()} == {PASS}


def test_a_skipped_check_says_why_and_earns_nothing(gated):
    skipped = {"event": "gate", "check": "dialyzer", "skipped": "Dialyzer is not installed", "findings": []}
    record = next(r for r in gate.test_records(gated, [skipped]) if r["name"] == CHECKS["dialyzer"])
    assert (record["status"], record["message"]) == ("skip", "not checked: Dialyzer is not installed")


def test_warnings_split_into_xref_findings_and_the_others():
    assert gate.is_xref({"message": "Shipping.Legacy.buy/1 is undefined (module Shipping.Legacy is not available)"})
    assert gate.is_xref({"message": "Enum.partition/2 is deprecated. Use Enum.split_with/2 instead"})
    assert gate.is_xref({"message": "Shipping.Carrier.sign/1 is undefined or private"})
    assert not gate.is_xref({"message": 'variable "unused" is unused'})
    assert not gate.is_xref({"message": "unused alias Carrier"})


@pytest.mark.parametrize("table, problem", [
    ("[gate]\nlint = 1\n", "[gate] names no check: 'lint'"),
    ("[gate]\nformat = -1\n", "[gate] format = -1: the points must be a number, 0 or more"),
    ("[gate]\nformat = \"two\"\n", "[gate] format = 'two'"),
])
def test_a_gate_table_naming_an_unknown_check_or_bad_points_is_refused(tmp_path, table, problem):
    shutil.copytree(REPO / "exercises" / EXERCISE, tmp_path / "exercises" / EXERCISE,
                    ignore=shutil.ignore_patterns("_build", "deps"))
    shutil.copytree(REPO / "solutions" / EXERCISE, tmp_path / "solutions" / EXERCISE)
    toml = tmp_path / "exercises" / EXERCISE / "exercise.toml"
    toml.write_text(toml.read_text() + "\n" + table)
    with pytest.raises(exercise.ExerciseError) as refused:
        exercise.load(EXERCISE, tmp_path)
    assert problem in str(refused.value)
