"""Shows a grade to people: a plain-text table for the terminal, an HTML table for notebooks."""

from __future__ import annotations

import html

from .results import PASS, Grade, number

MARK = {True: "✓", False: "✗"}


def text(grade: Grade) -> str:
    lines = [f"{grade.exercise}: {grade.status}  score {number(grade.score)}/{number(grade.max_score)}"]
    if grade.message:
        lines += ["", *grade.message.splitlines()]
    if grade.tests:
        lines.append("")
        width = max(len(_points(t)) for t in grade.tests)
        for t in grade.tests:
            hidden = "" if t.visible else "  (hidden)"
            lines.append(f"{MARK[t.status == PASS]} {_points(t).rjust(width)}  {t.name}{hidden}")
            if t.status != PASS:
                lines += [f"      {line}" for line in t.message.splitlines()]
            if t.output.strip():
                lines += ["      printed:"] + [f"        {line}" for line in t.output.rstrip().splitlines()]
    if grade.comments:
        lines += ["", "Playbook notes:"]
        lines += [f"  line {c['line']} [{c['section']}]: {c['comment']}" for c in grade.comments]
    return "\n".join(lines)


def _points(test) -> str:
    return f"{number(test.earned)}/{number(test.points)}"


def html_table(grade: Grade) -> str:
    e = html.escape
    rows = []
    for t in grade.tests:
        ok = t.status == PASS
        color = "#1a7f37" if ok else "#cf222e"
        detail = "" if ok else e(t.message)
        if t.output.strip():
            detail += f"<div><em>printed:</em><pre style='margin:0'>{e(t.output.rstrip())}</pre></div>"
        name = e(t.name) + ("" if t.visible else " <small>(hidden)</small>")
        rows.append(
            f"<tr><td style='color:{color};font-weight:bold'>{MARK[ok]}</td><td style='text-align:left'>{name}</td>"
            f"<td style='text-align:left'><pre style='margin:0;white-space:pre-wrap'>{detail}</pre></td>"
            f"<td>{_points(t)}</td></tr>"
        )
    head = (
        f"<p><strong>{e(grade.exercise)}</strong>: {e(grade.status)}, "
        f"score <strong>{number(grade.score)}/{number(grade.max_score)}</strong></p>"
    )
    message = f"<pre style='white-space:pre-wrap'>{e(grade.message)}</pre>" if grade.message else ""
    table = (
        "<table><thead><tr><th></th><th style='text-align:left'>test</th>"
        "<th style='text-align:left'>message</th><th>points</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        if rows
        else ""
    )
    notes = ""
    if grade.comments:
        items = "".join(
            f"<li>line {e(str(c['line']))} <em>[{e(str(c['section']))}]</em>: {e(str(c['comment']))}</li>"
            for c in grade.comments
        )
        notes = f"<p>Playbook notes:</p><ul>{items}</ul>"
    return f"<div class='otp-grade'>{head}{message}{table}{notes}</div>"
