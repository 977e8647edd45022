"""The validation gate, graded beside an exercise's tests (an exercise's ``[gate]`` table).

Each check the table gives points to becomes one more expected result, listed after the tests:

- ``format``: the learner's file is what ``mix format`` makes of it (the project's ``.formatter.exs``);
- ``warnings``: it compiles with no warning, as ``mix compile --warnings-as-errors`` wants, and
  silences none (``@compile`` with a ``nowarn``/``no_warn`` option);
- ``xref``: no call to an undefined, private or deprecated function (the compiler's cross-reference
  warnings, which ``mix xref`` reported before Elixir 1.11 moved them into compiling);
- ``dialyzer``: Dialyzer, with a PLT of the project's own modules, finds no discrepancy in the
  learner's modules, none is silenced with ``@dialyzer``, and every ``@spec`` of the starter is kept.

Warnings come from the learner's VM (its ``compile`` record, as data); the layout, what is silenced,
and Dialyzer are checked by the grading VM before any learner module is loaded (``Grader.Gate``,
``gate`` records). Only records of those runs count; the points are decided here.
"""

from __future__ import annotations

import re

from .exercise import GATE_CHECKS, Exercise
from .results import FAIL, PASS

MODULE = "Grader.Gate"
NAMES = {
    "format": "the file is formatted (mix format --check-formatted)",
    "warnings": "it compiles with no warning (mix compile --warnings-as-errors)",
    "xref": "no call to an undefined or deprecated function (mix xref)",
    "dialyzer": "Dialyzer finds no discrepancy and the @specs are kept (mix dialyzer)",
}
ADVICE = {
    "format": "Run `mix format` on the file (in the notebook: the hint shows how) and submit what it writes.",
    "warnings": "A warning is often a bug: fix what it points at; renaming a variable to `_name` or silencing "
                "the compiler hides it.",
    "xref": "The function called does not exist (or is private, or deprecated): call the one that does.",
    "dialyzer": "The @specs are the contract other modules rely on: fix the code, not the spec.",
}
MAX_FINDINGS = 10
_XREF = re.compile(r"is undefined|undefined or private|is private|is deprecated|deprecated\.")


def checks(ex: Exercise) -> list[str]:
    """The checks this exercise grades, in the order a grade lists them."""
    chosen = dict(ex.gate)
    return [check for check in GATE_CHECKS if check in chosen]


def expected(ex: Exercise) -> list[dict]:
    """The gate's entries of the list of expected results (the manifest's shape)."""
    points = dict(ex.gate)
    return [{"module": MODULE, "name": NAMES[check], "points": points[check], "visible": True,
             "file": ex.learner_file, "line": None} for check in checks(ex)]


def is_xref(warning: dict) -> bool:
    """>>> is_xref({"message": "Shop.Tax.rate/1 is undefined or private"}), is_xref({"message": "variable x is unused"})
    (True, False)
    """
    return bool(_XREF.search(str(warning.get("message", ""))))


def test_records(ex: Exercise, found: list[dict]) -> list[dict]:
    """The gate's results as test records, from the compile record and the grading VM's gate records."""
    chosen = checks(ex)
    if not chosen:
        return []
    compiled = next((r for r in reversed(found) if r.get("event") == "compile"), {})
    warnings = [w for w in compiled.get("warnings") or [] if isinstance(w, dict)]
    gate = {}
    for record in found:
        if record.get("event") == "gate" and record.get("check") in ("format", "silenced", "dialyzer"):
            gate.setdefault(record["check"], []).append(record)
    findings = {
        "format": _findings(gate, "format"),
        "warnings": [w for w in warnings if not is_xref(w)] + (_findings(gate, "silenced") or []),
        "xref": [w for w in warnings if is_xref(w)],
        "dialyzer": _findings(gate, "dialyzer"),
    }
    return [_record(check, findings[check], _skipped(gate, check)) for check in chosen]


def _findings(gate: dict, check: str) -> list[dict] | None:
    """A check's findings, or None when the grading VM did not report it exactly once."""
    records = gate.get(check, [])
    if len(records) != 1:
        return None
    return [f for f in records[0].get("findings") or [] if isinstance(f, dict)]


def _skipped(gate: dict, check: str) -> str:
    records = gate.get(check, [])
    return str(records[0].get("skipped") or "") if len(records) == 1 else ""


def _record(check: str, findings: list[dict] | None, skipped: str) -> dict:
    record = {"event": "test", "module": MODULE, "name": NAMES[check], "output": ""}
    if skipped:
        return record | {"status": "skip", "message": f"not checked: {skipped}"}
    if findings is None:
        return record | {"status": FAIL, "message": "the check did not report (the run stopped before it?)"}
    if not findings:
        return record | {"status": PASS, "message": ""}
    lines = [_finding_line(f) for f in findings[:MAX_FINDINGS]]
    if len(findings) > MAX_FINDINGS:
        lines.append(f"... and {len(findings) - MAX_FINDINGS} more")
    return record | {"status": FAIL, "message": "\n".join([*lines, ADVICE[check]])}


def _finding_line(finding: dict) -> str:
    line, message = finding.get("line"), str(finding.get("message", "")).strip()
    return f"line {line}: {message}" if isinstance(line, int) else message
