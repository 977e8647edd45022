"""`%interact`: bind sliders and choices to Elixir variables, and re-run the cell's code on change.

    %interact max_concurrency=1..16=4 mode=[:fifo, :lifo]
    Demo.run(max_concurrency: max_concurrency, mode: mode)

`name=LOW..HIGH` is an integer slider (`=N` sets where it starts, else LOW), `name=[a, b]` a
choice between Elixir literals, `name=true` or `name=false` a checkbox. Whenever a control
changes, the body runs again with the variables bound, and its output replaces the last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .magics import MagicContext, MagicError

_RANGE = re.compile(r"^(-?\d+)\.\.(-?\d+)(?:=(-?\d+))?$")
_NAME = re.compile(r"^[a-z_][a-zA-Z0-9_]*$")


@dataclass(frozen=True)
class Control:
    name: str
    kind: str  # "slider" | "choice" | "checkbox"
    options: tuple = ()
    low: int = 0
    high: int = 0
    initial: Any = None


def parse_controls(args: list[str]) -> list[Control]:
    """Controls from the magic's arguments.

    >>> parse_controls(["n=1..8=4", "mode=[:fifo, :lifo]", "trace=false"])[0]
    Control(name='n', kind='slider', options=(), low=1, high=8, initial=4)
    """
    controls = []
    for arg in _join_lists(args):
        name, sep, spec = arg.partition("=")
        if not sep or not _NAME.match(name):
            raise MagicError(f"%interact: `{arg}` is not `name=spec` (e.g. n=1..10, mode=[:a, :b], debug=false)")
        controls.append(_control(name, spec.strip()))
    if not controls:
        raise MagicError("%interact needs at least one control, e.g. `%interact n=1..10`")
    return controls


def _join_lists(args: list[str]) -> list[str]:
    """`mode=[:a,` `:b]` arrive as two shell words: join the words of one list again."""
    joined: list[str] = []
    for arg in args:
        if joined and joined[-1].count("[") > joined[-1].count("]"):
            joined[-1] += " " + arg
        else:
            joined.append(arg)
    return joined


def _control(name: str, spec: str) -> Control:
    if match := _RANGE.match(spec):
        low, high = int(match[1]), int(match[2])
        initial = int(match[3]) if match[3] else low
        if not low <= initial <= high:
            raise MagicError(f"%interact: {name} starts at {initial}, outside {low}..{high}")
        return Control(name, "slider", low=low, high=high, initial=initial)
    if spec.startswith("[") and spec.endswith("]"):
        options = tuple(option.strip() for option in spec[1:-1].split(",") if option.strip())
        if not options:
            raise MagicError(f"%interact: {name} has an empty list of choices")
        return Control(name, "choice", options=options, initial=options[0])
    if spec in ("true", "false"):
        return Control(name, "checkbox", initial=spec == "true")
    raise MagicError(f"%interact: cannot read `{name}={spec}`: use LOW..HIGH, [a, b, c] or true/false")


def bindings(values: dict[str, Any]) -> str:
    """Elixir code binding each control's value.

    >>> bindings({"n": 4, "mode": ":fifo", "trace": False})
    'n = 4\\nmode = :fifo\\ntrace = false\\n'
    """
    def literal(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return "".join(f"{name} = {literal(value)}\n" for name, value in values.items())


def interact(ctx: MagicContext):
    import ipywidgets as widgets  # imported here: only notebooks that use %interact pay for it

    if ctx.run is None:
        raise MagicError("%interact needs a kernel that can run Elixir code")
    if not ctx.body.strip():
        raise MagicError("%interact: put the Elixir code to re-run below the %interact line")
    controls = parse_controls(list(ctx.args))
    output = widgets.Output()
    inputs = {control.name: _widget(widgets, control) for control in controls}

    def rerun(_change=None):
        values = {name: widget.value for name, widget in inputs.items()}
        output.outputs = tuple(ctx.run(bindings(values) + ctx.body))

    for widget in inputs.values():
        widget.observe(rerun, names="value")
    box = widgets.VBox([widgets.HBox(list(inputs.values())), output])
    rerun()
    bundle = dict(box._repr_mimebundle_())
    bundle["text/plain"] = "Controls: " + ", ".join(f"{c.name} ({c.kind})" for c in controls) + ": run the cell to use them."
    ctx.display(bundle)
    return None


# The label takes the room its name needs (ipywidgets' fixed width cuts `max_concurrency` off).
LABEL_STYLE = {"description_width": "initial"}


def _widget(widgets, control: Control):
    if control.kind == "slider":
        return widgets.IntSlider(value=control.initial, min=control.low, max=control.high,
                                 description=control.name, continuous_update=False, style=LABEL_STYLE)
    if control.kind == "choice":
        return widgets.Dropdown(options=list(control.options), value=control.initial, description=control.name,
                                style=LABEL_STYLE)
    return widgets.Checkbox(value=control.initial, description=control.name, style=LABEL_STYLE, indent=False)
