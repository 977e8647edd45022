"""Splits the IEx session's stdout into learner text and kernel frames.

Everything a session prints arrives on one stream: what the learner's code printed, IEx's
prompts, and the frames the Elixir side sends (results, displays, input requests, replies),
each written as ``STX nonce ":" payload ETX`` (see ``elixir/wire.ex``). The payload is ASCII
JSON, or ``P`` for IEx's prompt. The nonce is random per session, so learner output cannot
produce a marker by accident.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Frame:
    payload: dict


Event = Union[Text, Frame]

STX, ETX = "\x02", "\x03"


class FrameReader:
    """Incremental parser: ``feed`` text as it arrives, get back the events it completes.

    A marker split across two reads is held back until the rest arrives, so text and frames
    always come out whole and in order.

    >>> r = FrameReader("n1")
    >>> r.feed("hi \\x02n1:{\\"type\\": \\"x\\"}\\x03 \\x02n1:P\\x03 ")
    [Text(text='hi '), Frame(payload={'type': 'x'}), Text(text=' ')]
    """

    def __init__(self, nonce: str):
        self._start = f"{STX}{nonce}:"
        self._buffer = ""
        self._after_prompt = False

    def feed(self, data: str) -> list[Event]:
        self._buffer += data
        events: list[Event] = []
        while self._buffer:
            start = self._buffer.find(self._start)
            if start < 0:
                keep = _partial_suffix(self._buffer, self._start)
                self._text(self._buffer[: len(self._buffer) - keep], events)
                self._buffer = self._buffer[len(self._buffer) - keep :]
                break
            end = self._buffer.find(ETX, start)
            if end < 0:
                self._text(self._buffer[:start], events)
                self._buffer = self._buffer[start:]
                break
            self._text(self._buffer[:start], events)
            payload = self._buffer[start + len(self._start) : end]
            self._buffer = self._buffer[end + 1 :]
            self._frame(payload, events)
        return events

    def _frame(self, payload: str, events: list[Event]) -> None:
        if payload in ("P", "C"):
            # IEx prints its prompt followed by one space; neither is the learner's output.
            self._after_prompt = True
            return
        self._after_prompt = False
        try:
            events.append(Frame(json.loads(payload)))
        except json.JSONDecodeError:
            events.append(Text(f"[kernel: unreadable frame of {len(payload)} characters dropped]\n"))

    def _text(self, text: str, events: list[Event]) -> None:
        if self._after_prompt and text:
            self._after_prompt = False
            if text.startswith(" "):
                text = text[1:]
        if text:
            if events and isinstance(events[-1], Text):
                events[-1] = Text(events[-1].text + text)
            else:
                events.append(Text(text))


def _partial_suffix(buffer: str, marker: str) -> int:
    """Length of the longest suffix of ``buffer`` that is a proper prefix of ``marker``."""
    for length in range(min(len(marker) - 1, len(buffer)), 0, -1):
        if buffer.endswith(marker[:length]):
            return length
    return 0
