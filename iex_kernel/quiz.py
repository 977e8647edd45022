"""`%quiz`: self-check questions with choices, checked on click (ipywidgets).

    %quiz
    ? Which strategy restarts only the child that crashed?
    - :one_for_all
    + :one_for_one
    - :rest_for_one
    > `:one_for_one` restarts the crashed child alone; its siblings keep running.

`?` starts a question, `+` marks a right choice, `-` a wrong one, `>` the explanation shown
once answered. A cell may hold several questions. Outside a live kernel (static HTML), the
questions show as plain text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from .magics import MagicContext, MagicError


@dataclass
class Question:
    text: str
    choices: list[str] = field(default_factory=list)
    right: set[int] = field(default_factory=set)
    explanation: str = ""


def parse_quiz(body: str) -> list[Question]:
    """Questions from a %quiz cell body.

    >>> [q.right for q in parse_quiz("? a or b?\\n- a\\n+ b\\n> b it is")]
    [{1}]
    """
    questions: list[Question] = []
    for number, raw in enumerate(body.splitlines(), start=2):
        line = raw.strip()
        if not line:
            continue
        marker, text = line[0], line[1:].strip()
        if marker == "?":
            questions.append(Question(text))
        elif not questions:
            raise MagicError(f"%quiz line {number}: start a question with `? ...` before its choices")
        elif marker in "+-":
            if marker == "+":
                questions[-1].right.add(len(questions[-1].choices))
            questions[-1].choices.append(text)
        elif marker == ">":
            questions[-1].explanation = (questions[-1].explanation + " " + text).strip()
        else:
            raise MagicError(f"%quiz line {number}: begin the line with ?, +, - or > (got `{raw.strip()[:40]}`)")
    if not questions:
        raise MagicError("%quiz: write at least one question, `? question` then `+ right` / `- wrong` choices")
    for question in questions:
        if len(question.choices) < 2 or not question.right:
            raise MagicError(f"%quiz: `{question.text}` needs two or more choices, one marked `+`")
    return questions


def feedback(question: Question, chosen: int | None) -> str:
    """HTML feedback for a choice (None: nothing chosen yet)."""
    if chosen is None:
        return "<i>Pick an answer first.</i>"
    if chosen in question.right:
        return f"<span style='color:#2e7d32'>✓ Right.</span> {html.escape(question.explanation)}"
    return "<span style='color:#c62828'>✗ Not quite: think again, then check once more.</span>"


def plain_text(questions: list[Question]) -> str:
    lines = []
    for n, question in enumerate(questions, start=1):
        lines.append(f"{n}. {question.text}")
        lines.extend(f"   ( ) {choice}" for choice in question.choices)
    return "\n".join(lines)


def quiz(ctx: MagicContext):
    import ipywidgets as widgets  # imported here: only notebooks with a quiz pay for it

    questions = parse_quiz(ctx.body)
    rows = []
    for number, question in enumerate(questions, start=1):
        choices = widgets.RadioButtons(options=[(c, i) for i, c in enumerate(question.choices)], value=None,
                                       layout=widgets.Layout(width="auto"))
        result = widgets.HTML()
        check = widgets.Button(description="Check", button_style="primary")
        check.on_click(lambda _button, q=question, c=choices, r=result: setattr(r, "value", feedback(q, c.value)))
        title = widgets.HTML(f"<b>{number}. {html.escape(question.text)}</b>")
        rows.append(widgets.VBox([title, choices, widgets.HBox([check, result])]))
    bundle = dict(widgets.VBox(rows)._repr_mimebundle_())
    bundle["text/plain"] = plain_text(questions)
    ctx.display(bundle)
    return None
