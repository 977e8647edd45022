"""Shows a grade to people: a plain-text table for the terminal, an HTML table for notebooks,
and the check cell's live progress line.

What the learner's code printed, and failure messages quoting it, are shown as text: control
characters are removed (a terminal must not be driven by them) and HTML is escaped. In the
HTML table, `backticks` in messages become code.
"""

from __future__ import annotations

import html
import re
from typing import Sequence

from .results import PASS, Grade, points

MARK = {True: "✓", False: "✗"}
GRADE_MIME = "application/vnd.otp-playbook.grade+json"
"""The grade as data in the check cell's output: what the per-test export reads."""

_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f\x9b]")
_BACKTICKS = re.compile(r"`([^`\n]+)`")


def printable(text: str) -> str:
    r"""Text without terminal control sequences or control characters (newlines and tabs stay).

    >>> printable("ok\x1b[2J\x1b[32m 20/20\x1b[0m\r\n")
    'ok 20/20\n'
    """
    return _CONTROL.sub("", text)


def text(grade: Grade, notes: Sequence[str] = ()) -> str:
    lines = [f"{grade.exercise}: {grade.status}  score {points(grade.score)}/{points(grade.max_score)}"]
    lines += list(notes)
    if grade.message:
        lines += ["", *printable(grade.message).splitlines()]
    if grade.tests:
        lines.append("")
        width = max(len(_points(t)) for t in grade.tests)
        for t in grade.tests:
            hidden = "" if t.visible else "  (hidden)"
            lines.append(f"{MARK[t.status == PASS]} {_points(t).rjust(width)}  {printable(t.name)}{hidden}")
            if t.status != PASS:
                lines += [f"      {line}" for line in printable(t.message).splitlines()]
            if t.output.strip():
                lines += ["      printed:"] + [f"        {line}" for line in printable(t.output).rstrip().splitlines()]
    if grade.comments:
        lines += ["", "Playbook notes:"]
        lines += [f"  line {c['line']} [{c['section']}]: {printable(str(c['comment']))}" for c in grade.comments]
    return "\n".join(lines)


def _points(test) -> str:
    return f"{points(test.earned)}/{points(test.points)}"


def rich(message: str) -> str:
    """A message as HTML: escaped, with `code` in backticks shown as code.

    >>> rich("expected `{:error, :timeout}` <got> nothing")
    'expected <code>{:error, :timeout}</code> &lt;got&gt; nothing'
    """
    return _BACKTICKS.sub(r"<code>\1</code>", html.escape(printable(message), quote=False))


_CELL = "text-align:left;vertical-align:top;padding:2px 8px"
_WRAP = "margin:0;white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere;font-size:90%"


def html_table(grade: Grade, notes: Sequence[str] = ()) -> str:
    rows = [_row(t) for t in grade.tests]
    head = (
        f"<p><strong>{html.escape(grade.exercise)}</strong>: {html.escape(grade.status)}, "
        f"score <strong>{points(grade.score)}/{points(grade.max_score)}</strong></p>"
    )
    notes_html = "".join(f"<p style='margin:2px 0'>{rich(note)}</p>" for note in notes)
    message = f"<pre style='{_WRAP}'>{rich(grade.message)}</pre>" if grade.message else ""
    table = ""
    if rows:
        table = (
            f"<table style='table-layout:auto;width:100%'><thead><tr><th></th><th style='{_CELL}'>test</th>"
            f"<th style='{_CELL}'>what went wrong</th><th>points</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>"
        )
    playbook = ""
    if grade.comments:
        items = "".join(
            f"<li>line {html.escape(str(c['line']))} <em>[{html.escape(str(c['section']))}]</em>: {rich(str(c['comment']))}</li>"
            for c in grade.comments
        )
        playbook = f"<p>Playbook notes:</p><ul>{items}</ul>"
    return f"<div class='otp-grade'>{head}{notes_html}{message}{table}{playbook}</div>"


def _row(test) -> str:
    ok = test.status == PASS
    color = "#1a7f37" if ok else "#cf222e"
    detail = "" if ok else f"<pre style='{_WRAP}'>{rich(test.message)}</pre>"
    if test.output.strip():
        detail += f"<div><em>printed:</em><pre style='{_WRAP}'>{html.escape(printable(test.output.rstrip()))}</pre></div>"
    name = html.escape(printable(test.name)) + ("" if test.visible else " <small>(hidden)</small>")
    return (
        f"<tr><td style='color:{color};font-weight:bold;vertical-align:top'>{MARK[ok]}</td>"
        f"<td style='{_CELL};min-width:16em'>{name}</td><td style='{_CELL}'>{detail}</td>"
        f"<td style='vertical-align:top'>{_points(test)}</td></tr>"
    )


def bundle(grade: Grade, notes: Sequence[str] = ()) -> dict:
    """The check cell's report: HTML for the notebook, text for the terminal and for nbgrader's
    plain views, and the grade as data."""
    return {"text/html": html_table(grade, notes), "text/plain": text(grade, notes), GRADE_MIME: grade.to_json()}


def progress_bundle(header: str, progress) -> dict:
    """One line saying what is graded and how far the run has got."""
    if progress.stage == "preparing":
        where = "preparing the exercise…"
    elif progress.stage == "compiling":
        where = "compiling your code…"
    else:
        done = progress.passed + progress.failed
        where = f"running {progress.total} tests: {done} done, ✓ {progress.passed} ✗ {progress.failed}"
        if progress.current:
            where += f"; now “{printable(progress.current)}”"
    line = f"{header}: {where}"
    return {"text/plain": line, "text/html": f"<p class='otp-grade-progress'>⏳ {html.escape(line)}</p>"}


def stopped_bundle(header: str, reason: str) -> dict:
    line = f"{header}: {reason}"
    return {"text/plain": line, "text/html": f"<p class='otp-grade-progress'>■ {rich(line)}</p>"}
