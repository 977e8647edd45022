"""`%quiz`: self-check questions with choices; click a choice to see whether it is right.

    %quiz
    ? Which strategy restarts only the child that crashed?
    - :one_for_all
    + :one_for_one
    - :rest_for_one
    > `:one_for_one` restarts the crashed child alone; its siblings keep running.

`?` starts a question, `+` marks a right choice, `-` a wrong one, `>` the explanation shown
once answered; each is markdown (`code`, **bold**). A cell may hold several questions. The
quiz is plain HTML, with no widget: it needs no kernel to work, so it survives saving,
reopening and exporting the notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mistune

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


def feedback(question: Question, chosen: int) -> str:
    """HTML feedback for choosing choice number ``chosen``."""
    if chosen in question.right:
        return f"<span style='color:#2e7d32'>✓ Right.</span> {inline_markdown(question.explanation)}"
    return "<span style='color:#c62828'>✗ Not quite: think again, then try another answer.</span>"


_MARKDOWN = mistune.create_markdown(escape=True)


def inline_markdown(text: str) -> str:
    """A line of markdown as HTML without the paragraph around it (raw HTML is escaped).

    >>> inline_markdown("is `:one_for_one` **right**? <b>")
    'is <code>:one_for_one</code> <strong>right</strong>? &lt;b&gt;'
    """
    rendered = _MARKDOWN(text).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return rendered


def html(questions: list[Question]) -> str:
    """The quiz as HTML that needs no kernel: click a choice to see whether it is right.

    It lives in the notebook's saved output, so a reopened notebook shows it without running
    the cell, and so do exported and feedback HTML files.
    """
    blocks = []
    for number, question in enumerate(questions, start=1):
        choices = "".join(
            "<details style='margin:2px 0 2px 1em'>"
            f"<summary style='cursor:pointer'>{inline_markdown(choice)}</summary>"
            f"<div style='margin:2px 0 6px 1.5em'>{feedback(question, index)}</div></details>"
            for index, choice in enumerate(question.choices)
        )
        blocks.append(f"<div style='margin-bottom:10px'><p style='margin:4px 0'><b>{number}.</b> "
                      f"{inline_markdown(question.text)}</p>{choices}</div>")
    intro = "<p style='margin:4px 0'><em>Self-check: click the answer you think is right.</em></p>"
    return f"<div class='otp-quiz'>{intro}{''.join(blocks)}</div>"


def plain_text(questions: list[Question]) -> str:
    lines = []
    for n, question in enumerate(questions, start=1):
        lines.append(f"{n}. {question.text}")
        lines.extend(f"   ( ) {choice}" for choice in question.choices)
    return "\n".join(lines)


def quiz(ctx: MagicContext):
    questions = parse_quiz(ctx.body)
    ctx.display({"text/html": html(questions), "text/plain": plain_text(questions)})
    return None
