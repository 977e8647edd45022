"""Cell magics: the one seam through which other packages add commands to the kernel.

A cell whose first line is ``%name args`` is not sent to Elixir: the kernel calls the
magic registered under ``name`` in the ``iex_kernel.magics`` entry-point group (the grader
registers ``%mix_test`` there), so the kernel never imports grading code itself.

A magic is a callable taking a :class:`MagicContext` and returning a
:class:`MagicResult` (or ``None`` for no result). It reports failures the learner must
fix by raising :class:`MagicError`; the kernel shows those as a normal Jupyter error.
Magics never write to stderr: nbgrader zeroes any graded cell with stderr output.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Callable, Mapping, Optional, Sequence

ENTRY_POINT_GROUP = "iex_kernel.magics"


class MagicError(Exception):
    """A problem the user can fix; its message is shown as the cell's error."""


@dataclass(frozen=True)
class ExecutedCell:
    """A cell this session ran, as it was when it ran."""

    count: int
    """Its execution count: the `In [n]` the notebook shows beside it."""
    code: str
    ok: bool
    """False when it ended in an error."""
    modules: tuple[str, ...] = ()
    """Modules it defined or declared, as the Elixir side saw them (``Accounts.Server``)."""
    cell_id: Optional[str] = None
    """The notebook's id of the cell, when the frontend sends it (JupyterLab does)."""


@dataclass(frozen=True)
class MagicContext:
    """What a magic may see of the kernel."""

    name: str
    args: Sequence[str]
    body: str
    history: Sequence[ExecutedCell]
    """The cells executed before this one in this session, oldest first (magics excluded)."""
    display: Callable[..., None]
    """``display(bundle, display_id=None, update=False)``: sends a display_data bundle (MIME type
    -> content) to the cell right away; with ``update=True``, redraws the display of that id."""
    stream: Callable[[str], None]
    """Writes text to the cell's stdout."""
    run: Optional[Callable[[str], list]] = None
    """Runs Elixir code in the session; returns its outputs as nbformat output dicts."""
    count: int = 0
    """This cell's own execution count."""


@dataclass(frozen=True)
class MagicResult:
    """The cell's execute_result: a MIME bundle; ``text/plain`` is required."""

    data: Mapping[str, str]
    metadata: Mapping[str, object] = field(default_factory=dict)


Magic = Callable[[MagicContext], Optional[MagicResult]]


@dataclass(frozen=True)
class MagicCall:
    name: str
    args: list[str]
    body: str


def parse(code: str) -> Optional[MagicCall]:
    """Returns the magic call in ``code``, or None when the cell is plain Elixir.

    >>> parse("%mix_test 01_service_locator\\n")
    MagicCall(name='mix_test', args=['01_service_locator'], body='')
    >>> parse("x = 1") is None
    True
    """
    stripped = code.lstrip()
    # `%{}` is an Elixir map and `%Struct{}` a struct: a magic name is lowercase.
    if not stripped.startswith("%") or not stripped[1:2].islower():
        return None
    first, _, body = stripped.partition("\n")
    name, _, rest = first[1:].partition(" ")
    if not name.replace("_", "").isalnum():
        return None
    try:
        args = shlex.split(rest)
    except ValueError as exc:
        raise MagicError(f"%{name}: cannot read the arguments ({exc})") from None
    return MagicCall(name=name, args=args, body=body)


def registry() -> dict[str, Magic]:
    """All installed magics by name (loaded lazily: importing them costs start-up time)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}  # type: ignore[misc]


def find(name: str) -> Magic:
    entry = registry().get(name)
    if entry is None:
        known = ", ".join(f"%{n}" for n in sorted(registry())) or "none are installed"
        raise MagicError(f"Unknown magic %{name}. Known magics: {known}.")
    return entry.load()
