"""Every exercise obeys the catalogue's rules (shared/exercises.md), proven by grading:
the starter scores well under full marks, the reference fix and other correct fixes in
other styles score full marks, plausible half-fixes do not; its notebook is complete."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from grader import engine
from grader import exercise as exercises

from .clauses import clause_of, clauses, fix_files, recorded_score

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
EXPECTED = [
    "01_service_locator", "02_bounded_fanout", "03_classify_failures", "04_mailbox_backpressure",
    "05_unexpected_messages", "06_ets_read_path", "07_outbound_timeouts", "08_retry_policy", "09_circuit_breaker",
    "10_boundary_validation", "11_idempotent_commands", "12_opaque_errors", "13_secrets_stay_secret",
    "14_blast_radius", "15_supervised_workers", "16_readiness_checks", "17_node_trust", "18_structured_logging",
    "19_write_the_test", "20_validation_gate", "21_design_judgement",
]
SOLUTION_MARKERS = "### BEGIN SOLUTION\n### END SOLUTION"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def fixes(kind: str) -> list:
    return [pytest.param(ex, path, id=f"{ex}/{path.stem}") for ex in EXPECTED for path in fix_files(ex, kind)]


def test_every_exercise_of_the_catalogue_built_so_far_exists():
    assert sorted(ex.id for ex in exercises.load_all()) == EXPECTED


def starter_passes(exercise_id: str) -> list[str]:
    """The tests the exercise says its untouched starter passes (what already works)."""
    lines = (HERE / exercise_id / "starter_passes.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("exercise_id", EXPECTED)
def test_starter_compiles_and_scores_below_60_percent(exercise_id, grade):
    assert grade.status == "fail", grade.message
    assert grade.score < 0.6 * grade.max_score, f"{grade.score}/{grade.max_score}"
    passed = [t.name for t in grade.tests if t.status == "pass"]
    expected = starter_passes(exercise_id)
    unexpected = {t.name: t.message for t in grade.tests if (t.name in expected) != (t.status == "pass")}
    assert passed == expected, f"the starter must pass what already works and fail the rest: {unexpected}"
    pitfall = [t for t in grade.tests if t.status != "pass"]
    assert all("did not finish within" not in t.message for t in pitfall), \
        "a starter's failures explain the pitfall, not a time limit"


@pytest.mark.parametrize("exercise_id", EXPECTED)
def test_starter_expectations_name_real_tests(exercise_id):
    names = {t["name"].removeprefix("test ") for t in engine.expected_tests(exercises.load(exercise_id))}
    assert set(starter_passes(exercise_id)) <= names


@pytest.mark.parametrize("exercise_id", EXPECTED)
def test_reference_solution_scores_full_marks(exercise_id, grade):
    failed = [(t.name, t.message) for t in grade.tests if t.status != "pass"]
    assert (grade.status, grade.score, failed) == ("pass", grade.max_score, [])


@pytest.mark.parametrize("exercise_id", EXPECTED)
def test_at_least_two_other_correct_fixes_and_two_half_fixes_exist(exercise_id):
    assert len(fix_files(exercise_id, "correct")) >= 2
    assert len(fix_files(exercise_id, "half")) >= 2


@pytest.mark.parametrize("exercise_id, path", fixes("correct"))
def test_another_correct_fix_scores_full_marks(exercise_id, path, grade):
    failed = [(t.name, t.message) for t in grade.tests if t.status != "pass"]
    assert (grade.status, failed) == ("pass", []), grade.message


def with_clauses() -> list[str]:
    return [ex for ex in EXPECTED if (HERE / ex / "clauses.toml").exists()]


@pytest.mark.parametrize("exercise_id", with_clauses())
def test_every_clause_names_real_tests_and_an_existing_half_fix(exercise_id):
    names = {t["name"].removeprefix("test ") for t in engine.expected_tests(exercises.load(exercise_id))}
    for clause in clauses(exercise_id):
        assert clause["text"].strip() and clause["source"].strip(), clause
        assert clause["tests"] and set(clause["tests"]) <= names, f"unknown test in {clause}"
        assert clause["half_fix"] in {p.stem for p in fix_files(exercise_id, "half")}, clause
        assert recorded_score(clause), \
            f"no score recorded for {clause['half_fix']}: bench/exercise_flakes.py --half --runs 3 --record"
    listed = {c["half_fix"] for c in clauses(exercise_id)}
    unlisted = [p.stem for p in fix_files(exercise_id, "half") if p.stem not in listed]
    assert unlisted == [], "every half-fix is named after the clause it breaks, in clauses.toml"


@pytest.mark.parametrize("exercise_id", with_clauses())
def test_the_central_pitfall_costs_at_least_a_quarter_of_the_points(exercise_id):
    points = {t["name"].removeprefix("test "): t["points"] for t in engine.expected_tests(exercises.load(exercise_id))}
    central = {name for c in clauses(exercise_id) if c.get("central") for name in c["tests"]}
    assert central, "one clause is marked central = true"
    assert 4 * sum(points[name] for name in central) >= sum(points.values())


@pytest.mark.parametrize("exercise_id, path", fixes("half"))
def test_a_half_fix_fails_the_tests_of_the_clause_it_breaks(exercise_id, path, grade):
    assert grade.status in ("fail", "error")
    assert grade.score < grade.max_score
    clause = clause_of(exercise_id, path.stem)
    if clause and grade.status == "fail":
        passed = [t.name for t in grade.tests if t.status == "pass" and t.name in clause["tests"]]
        assert passed == [], f"breaks \"{clause['text']}\" but passes its tests"


@pytest.mark.parametrize("exercise_id", EXPECTED)
def test_notebook_follows_the_exercise_layout(exercise_id):
    ex = exercises.load(exercise_id)
    path = REPO / "exercises" / exercise_id / f"{exercise_id}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata.kernelspec.name == "elixir"
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in notebook.cells}

    pitfall = by_id["pitfall"]
    assert pitfall.metadata.nbgrader["solution"] is True and pitfall.metadata.nbgrader["locked"] is False
    assert pitfall.source.rstrip().endswith(SOLUTION_MARKERS), "the pitfall cell must end with an empty solution region"
    assert pitfall.source.replace(SOLUTION_MARKERS, "").strip() == ex.starter_path.read_text().strip(), \
        "the pitfall cell must hold exactly the starter file"

    check = by_id["check"]
    assert check.source.strip() == f"%mix_test {exercise_id}"
    assert check.metadata.nbgrader["grade"] is True and check.metadata.nbgrader["locked"] is True
    assert check.metadata.nbgrader["points"] == engine.max_score(ex)

    assert by_id["setup"].metadata.nbgrader["locked"] is True
    assert any(key and key.startswith("show_failure") for key in by_id)
    hints = [c for c in notebook.cells if c.cell_type == "markdown" and "<details>" in c.source]
    assert len(hints) >= 2


@pytest.mark.parametrize("exercise_id", EXPECTED)
def test_notebook_links_resolve(exercise_id):
    folder = REPO / "exercises" / exercise_id
    notebook = nbformat.read(folder / f"{exercise_id}.ipynb", as_version=4)
    links = [link for cell in notebook.cells if cell.cell_type == "markdown" for link in LINK.findall(cell.source)
             if not link.startswith(("http://", "https://", "mailto:"))]
    assert any("course/" in link for link in links), "the notebook links to the course notebook that teaches it"
    missing = [link for link in links if not (folder / link).resolve().exists()]
    assert missing == []


def test_the_readme_lists_every_exercise_with_its_points():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for ex in exercises.load_all():
        row = re.search(rf"^\| {ex.id} \|.*\| (\d+) \|$", readme, re.MULTILINE)
        assert row, f"README has no row for {ex.id}"
        assert float(row.group(1)) == engine.max_score(ex), f"README gives {ex.id} {row.group(1)} points"


def test_a_test_that_names_its_own_process_first_waits_for_the_last_test_to_let_go_of_the_name():
    # ExUnit starts the next test once the last one has reported, not once its process has exited:
    # registering a fixed name straight away fails now and then, on a loaded machine.
    register = re.compile(r"Process\.register\(self\(\), ([^)]+)\)")
    test_files = [*REPO.glob("exercises/*/project/test/**/*.exs"), *REPO.glob("grader/hidden/**/*.exs")]
    hasty = []
    for path in test_files:
        text = path.read_text(encoding="utf-8")
        for found in register.finditer(text):
            if f"Process.whereis({found.group(1)})" not in text[max(0, found.start() - 400):found.start()]:
                hasty.append(f"{path.relative_to(REPO)}: {found.group(1)}")
    assert len(test_files) > 21
    assert hasty == []
