"""The course notebooks' shape: one per playbook section and reference topic, each quoting the
rule it teaches, ending with a self-check, linking only to what exists, stored with outputs.
Running them (nbval, against those stored outputs) is `pytest course/`, part of `make test`."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from iex_kernel.quiz import parse_quiz

COURSE = Path(__file__).resolve().parents[2] / "course"
NOTEBOOKS = [
    "00_start_here", "01_operate", "02_default_standards", "03_bad_vs_good", "04_workflow",
    "05_validation_commands", "06_otp_guardrails", "07_service_and_api", "08_reliability_and_operations",
    "09_security", "10_decision_heuristics", "11_otp_design_and_supervision", "12_service_boundaries",
    "13_distributed_systems_and_operations", "14_telemetry_and_observability", "15_incident_runbooks",
]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def load(name: str):
    return nbformat.read(COURSE / f"{name}.ipynb", as_version=4)


def test_the_course_has_every_notebook():
    assert sorted(p.stem for p in COURSE.glob("*.ipynb")) == NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_on_the_elixir_kernel(name):
    assert load(name).metadata.kernelspec.name == "elixir"


@pytest.mark.parametrize("name", NOTEBOOKS[1:])
def test_quotes_the_playbook_rule_it_teaches(name):
    quotes = [line for cell in load(name).cells if cell.cell_type == "markdown"
              for line in cell.source.splitlines() if line.startswith("> ")]
    assert quotes, "a lesson quotes the playbook rule it teaches, in one line"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_ends_with_a_self_check(name):
    code = [cell for cell in load(name).cells if cell.cell_type == "code"]
    quizzes = [cell for cell in code if cell.source.lstrip().startswith("%quiz")]
    assert quizzes, "every notebook ends with a %quiz self-check"
    assert all(len(parse_quiz(cell.source.split("\n", 1)[1])) >= 1 for cell in quizzes)
    assert code.index(quizzes[-1]) >= len(code) - 2, "the self-check comes at the end"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_links_resolve(name):
    links = [link for cell in load(name).cells if cell.cell_type == "markdown"
             for link in LINK.findall(cell.source) if not link.startswith(("http://", "https://", "mailto:"))]
    missing = [link for link in links if not (COURSE / link).resolve().exists()]
    assert missing == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_shows_code_running_with_stored_outputs(name):
    code = [cell for cell in load(name).cells if cell.cell_type == "code"]
    assert len(code) >= 5, "rules are shown running, not asserted"
    ran = [cell for cell in code if cell.outputs]
    assert len(ran) >= len(code) // 2, "stored outputs are what nbval compares and what a learner reads first"
