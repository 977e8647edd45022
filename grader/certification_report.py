"""The certification's pages: each learner's report, each passed learner's certificate, and the
cohort's page, written by ``python -m grader certify ASSIGNMENT`` into ``reports/<assignment>/``.

Plain HTML with inline styles: the pages open offline and print as they look."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from . import certification
from . import exercise as exercises
from .results import points

TEMPLATES = Path(__file__).parent / "templates" / "certification"


def percent(ratio: float) -> str:
    """>>> percent(0.756), percent(1)
    ('75.6 %', '100 %')
    """
    return f"{100 * ratio:.1f}".removesuffix(".0") + " %"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(points=points, percent=percent)
    return env


def write(course: Path, assignment_id: str, out: Path | None = None, db_url: str | None = None,
          issued: date | None = None) -> tuple[list[certification.Result], dict[str, str], Path]:
    """Writes every page; returns the results, the codes of the certificates issued, and the folder."""
    course = Path(course)
    results = certification.results(course, assignment_id, db_url)
    out = Path(out or course / "reports" / assignment_id)
    out.mkdir(parents=True, exist_ok=True)
    env, made = _environment(), date.today().isoformat()
    sections = {e: exercises.load(e).section for r in results for e in r.exercises}
    codes = {}
    for result in results:
        code = ""
        if result.status == certification.PASSED:
            code, said = certification.issue(course, result, issued)
            codes[result.student] = code
            embedded = json.dumps({"code": code, "statement": said}, sort_keys=True).replace("</", "<\\/")
            (out / f"{result.student}-certificate.html").write_text(
                env.get_template("certificate.html.j2").render(s=said, code=code, embedded=Markup(embedded)))
        (out / f"{result.student}.html").write_text(env.get_template("report.html.j2").render(
            r=result, made=made, code=code, certificate=f"{result.student}-certificate.html", sections=sections))
    title = results[0].title if results else assignment_id
    counts = Counter({certification.PASSED: 0, certification.NOT_PASSED: 0, certification.PENDING: 0})
    counts.update(r.status for r in results)
    (out / "index.html").write_text(env.get_template("index.html.j2").render(
        title=title, results=results, codes=codes, counts=counts, made=made))
    return results, codes, out
