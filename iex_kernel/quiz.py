"""`%quiz`: self-check questions with choices; click a choice to see whether it is right.

    %quiz 04_workflow

shows the question bank ``04_workflow.quiz``, looked up in the folders of ``$IEXK_QUIZ_PATH``
(``os.pathsep``-separated; the learner's lab sets it) and then in ``quizzes/`` beside the
notebook. The bank, not the notebook, holds the answers, so a learner reading the notebook or
its released copy does not see them. A bank (or a cell body after a bare ``%quiz``) reads::

    ? Which strategy restarts only the child that crashed?
    - :one_for_all
    ! It restarts every child of the supervisor.
    + :one_for_one
    - :rest_for_one
    > `:one_for_one` restarts the crashed child alone; its siblings keep running.

`?` starts a question, `+` marks a right choice, `-` a wrong one, `!` (optional, after a choice)
says why that choice is wrong, `>` the explanation shown once answered. Each is markdown
(`code`, **bold**); a question may go on over following indented lines, and a fenced code block
right after it makes it a code-reading question (the question's words go on the `?` line: a
plain line after the block is an error). Lines starting with `#` are comments.

Choices are shown in an order fixed by their text (a hash), not in the order written, so the
right answer's place says nothing. The quiz is plain HTML, with no widget: it needs no kernel
to work, so it survives saving, reopening and exporting the notebook.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import mistune

from .magics import MagicContext, MagicError

PATH_VARIABLE = "IEXK_QUIZ_PATH"
BANK_NAME = re.compile(r"^[\w-]+$")


@dataclass
class Question:
    text: str
    choices: list[str] = field(default_factory=list)
    right: set[int] = field(default_factory=set)
    explanation: str = ""
    reasons: dict[int, str] = field(default_factory=dict)
    """Why a wrong choice is wrong, by choice index, for the choices that say."""

    @property
    def reads_code(self) -> bool:
        """Whether the question shows code to read (a fenced block)."""
        return "```" in self.text

    def shown_order(self) -> list[int]:
        """The choices' indexes in the order they are shown: sorted by a hash of their text.

        >>> Question("q", ["a", "b", "c"], {0}).shown_order()
        [0, 2, 1]
        """
        key = lambda index: hashlib.sha256(f"{self.text}\0{self.choices[index]}".encode()).hexdigest()
        return sorted(range(len(self.choices)), key=key)


def parse_quiz(body: str, source: str = "%quiz") -> list[Question]:
    """Questions from a bank or a %quiz cell body; ``source`` names it in error messages.

    >>> [q.right for q in parse_quiz("? a or b?\\n- a\\n+ b\\n> b it is")]
    [{1}]
    >>> parse_quiz("? What does it return?\\n```elixir\\n1 + 1\\n```\\n+ 2\\n- 11")[0].reads_code
    True
    """
    questions: list[Question] = []
    fenced = False
    for number, raw in enumerate(body.splitlines(), start=1):
        line = raw.strip()
        if fenced or line.startswith("```"):
            if not questions or questions[-1].choices:
                raise MagicError(f"{source} line {number}: a code block belongs to a question, before its choices")
            questions[-1].text += "\n" + raw.rstrip()
            fenced = fenced != line.startswith("```")
            continue
        if not line or line.startswith("#"):
            continue
        marker, text = line[0], line[1:].strip()
        if marker == "?":
            questions.append(Question(text))
        elif not questions:
            raise MagicError(f"{source} line {number}: start a question with `? ...` before its choices")
        elif marker in "+-":
            if marker == "+":
                questions[-1].right.add(len(questions[-1].choices))
            questions[-1].choices.append(text)
        elif marker == "!" and questions[-1].choices:
            questions[-1].reasons[len(questions[-1].choices) - 1] = text
        elif marker == ">":
            questions[-1].explanation = (questions[-1].explanation + " " + text).strip()
        elif not questions[-1].choices and raw[:1].isspace():
            questions[-1].text += "\n" + line
        else:
            raise MagicError(f"{source} line {number}: begin the line with ?, +, -, ! or > (got `{line[:40]}`)")
    if fenced:
        raise MagicError(f"{source}: a code block is not closed with ```")
    if not questions:
        raise MagicError(f"{source}: write at least one question, `? question` then `+ right` / `- wrong` choices")
    for question in questions:
        if len(question.choices) < 2 or not question.right:
            raise MagicError(f"{source}: `{question.text.splitlines()[0]}` needs two or more choices, one marked `+`")
    return questions


def bank_folders(cwd: Path | None = None) -> list[Path]:
    """Where `%quiz NAME` looks for ``NAME.quiz``, in order."""
    listed = [Path(p) for p in os.environ.get(PATH_VARIABLE, "").split(os.pathsep) if p]
    return [*listed, (cwd or Path.cwd()) / "quizzes"]


def load_bank(name: str, folders: list[Path] | None = None) -> list[Question]:
    """The questions of the bank ``name``; a MagicError that lists the banks if there is none."""
    if not BANK_NAME.match(name):
        raise MagicError(f"%quiz {name}: a bank's name is letters, digits, `_` and `-` (like `%quiz 04_workflow`)")
    folders = bank_folders() if folders is None else folders
    for folder in folders:
        path = folder / f"{name}.quiz"
        if path.is_file():
            return parse_quiz(path.read_text(encoding="utf-8"), source=str(path))
    known = sorted({p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.quiz")})
    where = ", ".join(str(folder) for folder in folders)
    raise MagicError(f"%quiz {name}: no bank `{name}.quiz` in {where}. "
                     + (f"Banks there: {', '.join(known)}." if known else
                        f"Put the bank in `quizzes/` beside the notebook, or its folder in ${PATH_VARIABLE}."))


def feedback(question: Question, chosen: int) -> str:
    """HTML feedback for choosing choice number ``chosen``."""
    if chosen in question.right:
        return f"<span style='color:#2e7d32'>✓ Right.</span> {inline_markdown(question.explanation)}"
    reason = question.reasons.get(chosen)
    why = f" {inline_markdown(reason)}" if reason else ""
    return f"<span style='color:#c62828'>✗ Not quite.</span>{why} Think again, then try another answer."


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
            f"<summary style='cursor:pointer'>{inline_markdown(question.choices[index])}</summary>"
            f"<div style='margin:2px 0 6px 1.5em'>{feedback(question, index)}</div></details>"
            for index in question.shown_order()
        )
        blocks.append(f"<div style='margin-bottom:10px'><div style='margin:4px 0'><b>{number}.</b> "
                      f"{inline_markdown(question.text)}</div>{choices}</div>")
    intro = "<p style='margin:4px 0'><em>Self-check: click the answer you think is right.</em></p>"
    return f"<div class='otp-quiz'>{intro}{''.join(blocks)}</div>"


def plain_text(questions: list[Question]) -> str:
    lines = []
    for n, question in enumerate(questions, start=1):
        lines.append(f"{n}. {question.text}")
        lines.extend(f"   ( ) {question.choices[index]}" for index in question.shown_order())
    return "\n".join(lines)


def quiz(ctx: MagicContext):
    if ctx.body.strip():
        if ctx.args:
            raise MagicError("%quiz: give either a bank's name (`%quiz 04_workflow`) or questions below it, not both")
        questions = parse_quiz(ctx.body)
    elif len(ctx.args) == 1:
        questions = load_bank(ctx.args[0])
    else:
        raise MagicError("%quiz: name a question bank (`%quiz 04_workflow`) or write questions below the line")
    ctx.display({"text/html": html(questions), "text/plain": plain_text(questions)})
    return None
