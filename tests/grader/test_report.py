"""The report a learner reads, from made-up grades (no grading run needed)."""

from __future__ import annotations

from grader import report
from grader.engine import Progress
from grader.results import FAIL, PASS, Grade, TestResult


def grade(*tests: TestResult, message: str = "") -> Grade:
    score = sum(t.earned for t in tests)
    return Grade("03_x", PASS if all(t.status == PASS for t in tests) else FAIL, score,
                 sum(t.points for t in tests), message, list(tests))


def result(name: str, ok: bool, message: str = "", output: str = "", visible: bool = True) -> TestResult:
    return TestResult(name, PASS if ok else FAIL, "" if ok else message, output, 2, visible)


def test_a_passing_test_has_no_empty_message_box():
    html = report.html_table(grade(result("works", True), result("breaks", False, "expected `:ok`")))
    passing, failing = html.split("<tr>")[2:4]
    assert "<pre" not in passing
    assert "<pre" in failing


def test_backticks_in_messages_become_code_and_html_is_escaped():
    html = report.html_table(grade(result("t", False, "expected `{:error, :timeout}`, got <script>")))
    assert "<code>{:error, :timeout}</code>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_messages_wrap_at_word_boundaries():
    html = report.html_table(grade(result("t", False, "a long message")))
    assert "white-space:pre-wrap;word-break:normal" in html


def test_terminal_control_sequences_never_reach_the_text_report():
    forged = "\x1b[2J\x1b[H03_x: pass  score 20/20\x1b[8m"
    text = report.text(grade(result("t", False, forged, output=forged)), notes=["graded cell In [2]"])
    assert "\x1b" not in text
    assert "graded cell In [2]" in text.splitlines()[1]


def test_notes_come_right_under_the_score():
    html = report.html_table(grade(result("t", True)), notes=["Graded cell In [4] (`Billing.Charger`)"])
    assert html.index("score <strong>") < html.index("Graded cell In [4] (<code>Billing.Charger</code>)")


def test_the_bundle_carries_the_grade_as_data():
    bundle = report.bundle(grade(result("t", True), result("h", False, "no", visible=False)))
    data = bundle[report.GRADE_MIME]
    assert [(t["name"], t["visible"], t["status"]) for t in data["tests"]] == [("t", True, "pass"), ("h", False, "fail")]
    assert data["score"] == 2 and data["max_score"] == 4


def test_progress_names_the_running_test_and_counts():
    line = report.progress_bundle("Grading cell In [3]", Progress("running", total=7, passed=2, failed=1,
                                                                     current="a timeout is surfaced"))["text/plain"]
    assert line == "Grading cell In [3]: running 7 tests: 3 done, ✓ 2 ✗ 1; now “a timeout is surfaced”"
