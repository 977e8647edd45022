"""The course notebooks' shape: one per playbook section and reference topic, each quoting the
rule it teaches, ending with a self-check, linking only to what exists, stored with outputs.
Running them (nbval, against those stored outputs) is `pytest course/`, part of `make test`."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from iex_kernel.quiz import load_bank

COURSE = Path(__file__).resolve().parents[2] / "course"
QUIZZES = COURSE / "quizzes"
NOTEBOOKS = [
    "00_start_here", "01_operate", "01b_restarts_and_degraded_mode", "02_default_standards",
    "02b_outbound_calls_and_logging", "03_bad_vs_good", "03b_bounded_fanout_and_failures", "04_workflow",
    "04b_load_and_deploys", "05_validation_commands", "05b_dialyzer_and_releases", "06_otp_guardrails",
    "06b_mailboxes_and_ets", "07_service_and_api", "07b_outbound_calls_and_crashes",
    "08_reliability_and_operations", "08b_partitions_slowness_and_readiness", "09_security",
    "09b_input_and_node_trust", "10_decision_heuristics", "11_otp_design_and_supervision", "12_service_boundaries",
    "13_distributed_systems_and_operations", "13b_node_loss_and_deploys", "14_telemetry_and_observability",
    "15_incident_runbooks", "15b_slow_dependency_and_leaks",
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
    assert code.index(quizzes[-1]) >= len(code) - 2, "the self-check comes at the end"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_self_check_s_answers_are_not_in_the_notebook(name):
    quizzes = [cell.source.strip() for cell in load(name).cells
               if cell.cell_type == "code" and cell.source.lstrip().startswith("%quiz")]
    assert quizzes == [f"%quiz {name}"], "the cell names its bank; the bank, not the notebook, holds the answers"
    assert len(load_bank(name, [QUIZZES])) >= 3


def all_questions():
    return [(name, question) for name in NOTEBOOKS for question in load_bank(name, [QUIZZES])]


def test_the_right_answer_is_not_given_away_by_its_place():
    places = Counter()
    expected = Counter()
    for _, question in all_questions():
        shown = question.shown_order()
        places[min(shown.index(right) for right in question.right)] += 1
        for place in range(len(shown)):
            expected[place] += 1 / len(shown)
    total = sum(places.values())
    for place, count in places.items():
        assert count / total <= expected[place] / total + 0.15, f"right answers bunch at choice {place + 1}: {places}"


def test_the_right_answer_is_not_given_away_by_its_length():
    longest = shortest = 0
    questions = all_questions()
    for _, question in questions:
        lengths = [len(choice) for choice in question.choices]
        right = [lengths[i] for i in question.right]
        wrong = [length for i, length in enumerate(lengths) if i not in question.right]
        longest += max(right) > max(wrong)
        shortest += min(right) < min(wrong)
    assert longest / len(questions) <= 0.35, f"the right answer is the longest in {longest} of {len(questions)}"
    assert shortest / len(questions) <= 0.35, f"the right answer is the shortest in {shortest} of {len(questions)}"


def test_a_third_of_the_questions_read_code_and_every_self_check_has_one():
    questions = all_questions()
    reading = [name for name, question in questions if question.reads_code]
    assert len(reading) * 3 >= len(questions), f"{len(reading)} of {len(questions)} questions read code"
    assert sorted(set(reading)) == NOTEBOOKS, "every self-check asks at least one code-reading question"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_links_resolve(name):
    links = [link for cell in load(name).cells if cell.cell_type == "markdown"
             for link in LINK.findall(cell.source) if not link.startswith(("http://", "https://", "mailto:"))]
    missing = [link for link in links if not (COURSE / link).resolve().exists()]
    assert missing == []


ONE_SITTING = 38


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_is_short_enough_for_one_sitting(name):
    cells = len(load(name).cells)
    assert cells <= ONE_SITTING, f"{cells} cells: split the lesson in two at a change of topic (NNb_<slug>.ipynb)"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_shows_code_running_with_stored_outputs(name):
    code = [cell for cell in load(name).cells if cell.cell_type == "code"]
    assert len(code) >= 5, "rules are shown running, not asserted"
    ran = [cell for cell in code if cell.outputs]
    assert len(ran) >= len(code) // 2, "stored outputs are what nbval compares and what a learner reads first"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_opens_with_objectives_prerequisites_and_a_time_estimate(name):
    top = load(name).cells[0]
    assert top.cell_type == "markdown"
    assert "**You will:**" in top.source and "**Before this:**" in top.source
    assert re.search(r"\*\*Time:\*\* about \d+ minutes", top.source)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_asks_for_a_prediction_before_a_demo_reveals_it(name):
    cells = load(name).cells
    prompts = [i for i, cell in enumerate(cells) if cell.cell_type == "markdown" and cell.source.startswith("**Predict:**")]
    assert len(prompts) >= 2, "two or more `**Predict:**` prompts, each right before the demo that answers it"
    for i in prompts:
        assert cells[i + 1].cell_type == "code" and cells[i + 1].outputs, "the demo follows its prompt, with its output"


def nbgrader_cells(name, kind):
    return [cell for cell in load(name).cells if cell.metadata.get("nbgrader", {}).get(kind)]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_has_a_your_turn_cell_that_an_assert_cell_checks(name):
    yours, checks = nbgrader_cells(name, "solution"), nbgrader_cells(name, "grade")
    assert yours and checks, "a `your turn` cell (nbgrader solution) and a check cell (nbgrader grade) after it"
    for cell in yours:
        assert cell.cell_type == "code"
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    for cell in checks:
        assert "assert" in cell.source and cell.metadata.nbgrader["points"] > 0 and not cell.metadata.nbgrader["solution"]
    cells = load(name).cells
    assert cells.index(yours[0]) < cells.index(checks[0])
    ids = [cell.metadata.nbgrader["grade_id"] for cell in yours + checks]
    assert len(set(ids)) == len(ids)


def test_start_here_lists_every_exercise_as_the_grader_does():
    from grader import exercise

    [table] = [cell.source for cell in load("00_start_here").cells
               if cell.cell_type == "markdown" and "| exercise | title | playbook section |" in cell.source]
    rows = [line.split("|")[1:4] for line in table.splitlines() if line.startswith("| [")]
    listed = [(re.search(r"\[(\w+)\]", ident).group(1), title.strip(), section.strip()) for ident, title, section in rows]
    assert listed == [(ex.id, ex.title, ex.section) for ex in exercise.load_all()]
