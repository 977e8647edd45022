"""A certification end to end, through the real commands: build the course, release, three learners
(perfect, partial, hostile) submit, parallel autograde, feedback, certify, verify, the cohort
overview; and the ways a certificate can be faked, each refused."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook

from grader import autograde, certification, certification_report, cli, cohort, course

from ..nbgrader_cli import nbgrader
from .test_attacks import ATTACKS, COMPILED_CODE_ATTACKS

REPO = Path(__file__).resolve().parents[2]
MANIFEST = """
[[assignment]]
id = "cert"
title = "Certification: failures and retries"
exercises = ["03_classify_failures", "08_retry_policy"]

[assignment.pass]
overall = 0.8
per_section = 0.5
"""
FIXES = {"03_classify_failures": "charger.ex", "08_retry_policy": "label_client.ex"}


def solution(exercise_id: str) -> str:
    return (REPO / "solutions" / exercise_id / FIXES[exercise_id]).read_text()


def submit(root: Path, student: str, pitfalls: dict[str, str]) -> None:
    submitted = root / "submitted" / student / "cert"
    shutil.copytree(root / "release" / "cert", submitted)
    # What `nbgrader collect` leaves beside a submission: when it was handed in (UTC).
    handed_in = datetime.now(timezone.utc) + timedelta(minutes=25)
    (submitted / "timestamp.txt").write_text(handed_in.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    for exercise_id, source in pitfalls.items():
        path = submitted / f"{exercise_id}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "pitfall").source = source
        nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    """The course folder after release, three submissions, parallel autograde and feedback."""
    tmp = tmp_path_factory.mktemp("certification")
    (tmp / "course.toml").write_text(MANIFEST)
    root = tmp / "course"
    assert cli.main(["course", "build", str(root), "--manifest", str(tmp / "course.toml")]) == 0
    nbgrader(root, "generate_assignment", "cert")
    submit(root, "perfect", {e: solution(e) for e in FIXES})
    submit(root, "partial", {"03_classify_failures": solution("03_classify_failures")})
    submit(root, "hostile", {"03_classify_failures": COMPILED_CODE_ATTACKS["replace the formatter at compile time"],
                             "08_retry_policy": ATTACKS["forge result files"]})
    outcomes = autograde.run(root, "cert", jobs=2, progress=False)
    assert [(o.student, o.ok) for o in outcomes] == [("hostile", True), ("partial", True), ("perfect", True)], \
        [o.reason for o in outcomes]
    nbgrader(root, "generate_feedback", "cert")
    return root


@pytest.fixture
def in_course(certified, monkeypatch):
    monkeypatch.chdir(certified)
    return certified


def results(root: Path) -> dict[str, certification.Result]:
    return {r.student: r for r in certification.results(root, "cert")}


def test_every_grade_is_what_each_learner_earned(certified):
    graded = results(certified)
    perfect, partial, hostile = graded["perfect"], graded["partial"], graded["hostile"]
    assert perfect.exercises["03_classify_failures"].score == 11
    assert perfect.overall.score == perfect.overall.max_score == 11 + 23
    assert partial.exercises["03_classify_failures"].score == 11
    assert 0 < partial.exercises["08_retry_policy"].score < 23 * 0.6
    assert hostile.overall.score < 0.5 * hostile.overall.max_score, "an attack gains nothing"
    assert set(perfect.sections) == {"Bad vs Good", "Default Standards"}


def test_the_feedback_shows_each_test_and_never_the_hidden_source(certified):
    for student in ("perfect", "partial", "hostile"):
        for exercise_id in FIXES:
            page = (certified / "feedback" / student / "cert" / f"{exercise_id}.html").read_text()
            assert "(hidden)" in page
            for hidden in (REPO / "grader" / "hidden" / exercise_id).glob("*.exs"):
                asserts = [line.strip() for line in hidden.read_text().splitlines() if line.strip().startswith("assert ")]
                assert asserts and not any(line in page for line in asserts)


def test_certify_passes_whom_the_marks_pass_and_reports_sections(in_course, capsys):
    assert cli.main(["certify", "cert"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.split() and line.split()[0] in results(in_course)}
    assert "passed" in rows["perfect"] and re.search(r"OTP(-[A-Z2-7]{4}){4}", rows["perfect"])
    assert "not passed" in rows["partial"] and "not passed" in rows["hostile"]
    assert "1 of 3 learners passed" in out
    reports = in_course / "reports" / "cert"
    partial = (reports / "partial.html").read_text()
    assert "Not passed" in partial and "Default Standards" in partial and "To work on next: Default Standards" in partial
    assert (reports / "perfect-certificate.html").is_file() and not (reports / "partial-certificate.html").exists()
    assert "perfect-certificate.html" in (reports / "index.html").read_text()


def certificate(root: Path) -> tuple[Path, str]:
    path = root / "reports" / "cert" / "perfect-certificate.html"
    if not path.exists():
        assert cli.main(["certify", "cert"]) == 0
    return path, certification.read_certificate(path)[1]


def test_a_certificate_verifies_by_its_code_and_by_its_file(in_course, capsys):
    path, code = certificate(in_course)
    assert cli.main(["verify", code]) == 0
    assert cli.main(["verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("valid: perfect (perfect) passed Certification: failures and retries with 34 of 34 points") == 2


def test_certifying_again_keeps_the_code_of_unchanged_grades(in_course):
    _, code = certificate(in_course)
    _, codes, _ = certification_report.write(in_course, "cert")
    assert codes == {"perfect": code}


def test_a_made_up_code_an_edited_certificate_and_a_tampered_record_are_refused(in_course, tmp_path):
    path, code = certificate(in_course)
    assert not certification.verify(in_course, "OTP-AAAA-BBBB-CCCC-DDDD").valid
    assert "never issued" in certification.verify(in_course, "OTP-AAAA-BBBB-CCCC-DDDD").reason
    assert "not a verification code" in certification.verify(in_course, "hello").reason

    edited = tmp_path / "edited.html"
    edited.write_text(path.read_text().replace('"student": "perfect"', '"student": "partial"'))
    verdict = certification.verify(in_course, str(edited))
    assert not verdict.valid and "the certificate was edited: its student differ" in verdict.reason

    registry = in_course / certification.REGISTRY_FILE
    original = registry.read_text()
    record = json.loads(original)
    record[code]["score"] = 35
    registry.write_text(json.dumps(record))
    try:
        verdict = certification.verify(in_course, code)
        assert not verdict.valid and "altered after it was issued" in verdict.reason
    finally:
        registry.write_text(original)
    assert certification.verify(in_course, code).valid


def test_a_grade_changed_after_issue_makes_the_certificate_fail(in_course):
    _, code = certificate(in_course)
    with Gradebook(f"sqlite:///{in_course / 'gradebook.db'}") as gradebook:
        grade = gradebook.find_grade("check", "03_classify_failures", "cert", "perfect")
        before = grade.manual_score
        grade.manual_score = 1
        gradebook.db.commit()
    try:
        verdict = certification.verify(in_course, code)
        assert not verdict.valid and "the gradebook changed since" in verdict.reason
    finally:
        with Gradebook(f"sqlite:///{in_course / 'gradebook.db'}") as gradebook:
            gradebook.find_grade("check", "03_classify_failures", "cert", "perfect").manual_score = before
            gradebook.db.commit()
    assert certification.verify(in_course, code).valid


def test_only_an_assignment_with_pass_marks_certifies(certified, tmp_path):
    (tmp_path / "course.toml").write_text(MANIFEST.replace('[assignment.pass]\noverall = 0.8\nper_section = 0.5\n', ""))
    with pytest.raises(certification.CertificationError, match="no pass marks"):
        certification.certification(tmp_path, "cert")
    with pytest.raises(certification.CertificationError, match="no course.toml"):
        certification.certification(tmp_path / "nowhere", "cert")


def test_a_statement_signs_the_same_way_every_time_and_differently_for_any_change():
    key, said = b"k" * 32, {"student": "a", "score": 1, "issued": date(2026, 1, 2).isoformat()}
    assert certification.code_for(key, said) == certification.code_for(key, dict(reversed(said.items())))
    assert certification.code_for(key, said) != certification.code_for(key, {**said, "score": 2})
    assert certification.code_for(key, said) != certification.code_for(b"j" * 32, said)
    assert course.load_manifest()  # the default manifest still loads next to these


# --- the cohort overview -------------------------------------------------------------------


def test_the_cohort_overview_counts_what_the_gradebook_and_the_check_cells_say(certified):
    data = cohort.load(certified, "cert")
    assert data.exercises == ["03_classify_failures", "08_retry_policy"]
    assert sorted(data.shares("03_classify_failures"))[-2:] == [1.0, 1.0]
    assert data.shares("08_retry_policy").count(1.0) == 1, "only the perfect learner fixed 08"
    failed_08 = {test: n for (exercise, test), n in data.failed_tests.items() if exercise == "08_retry_policy"}
    assert failed_08 and max(failed_08.values()) == 2, "partial and hostile fail 08's tests, perfect none"
    assert [round(h, 1) for h in data.hours_to_pass("03_classify_failures")] == [0.4, 0.4], "25 minutes after release"
    assert len(data.hours_to_pass("08_retry_policy")) == 1


def test_cohort_writes_three_plots_as_png(in_course, capsys):
    assert cli.main(["cohort", "cert"]) == 0
    written = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert [p.name for p in written] == [f"{name}.png" for name in cohort.PLOTS]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5_000 for p in written)


def test_the_instructor_notebook_shows_the_plots_for_a_course_folder(certified, monkeypatch):
    monkeypatch.setenv("OTP_COHORT_COURSE", str(certified))
    monkeypatch.setenv("OTP_COHORT_ASSIGNMENT", "cert")
    notebook = nbformat.read(REPO / "instructor" / "cohort_overview.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 3
    assert not any(o.output_type == "error" for o in outputs)
    assert any("2 exercises" in o.get("text", "") for o in outputs)


def test_a_hand_graded_answer_not_yet_marked_leaves_the_result_pending_and_a_missing_one_counts_zero():
    marks = course.PassMarks(overall=0.5, per_section=0.5)
    assignment = course.Assignment("c", "C", ("03_classify_failures", "21_design_judgement"), marks)
    sections = {"03_classify_failures": "Bad vs Good", "21_design_judgement": "Decision Heuristics"}
    released = {"03_classify_failures": 11.0, "21_design_judgement": 30.0}
    student = SimpleNamespace(id="ada", first_name="Ada", last_name="Lovelace")
    graded = SimpleNamespace(score=11, max_score=11, needs_manual_grade=False)
    unmarked = SimpleNamespace(score=25, max_score=30, needs_manual_grade=True)
    pending = certification._result(assignment, sections, released, student,
                                    {"03_classify_failures": graded, "21_design_judgement": unmarked})
    assert (pending.status, pending.pending, pending.name) == ("pending", ["21_design_judgement"], "Ada Lovelace")
    missing = certification._result(assignment, sections, released, student, {"03_classify_failures": graded})
    assert (missing.status, missing.missing) == ("not passed", ["21_design_judgement"])
    assert missing.overall == certification.Share(11.0, 41.0)
    assert missing.weak_sections == ["Decision Heuristics"]
