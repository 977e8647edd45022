"""Turns what a run reported into a grade, trusting only the grader's side.

The expected tests and their points come from the manifest (read from the test files),
never from the run. Records count only when they arrive on the result channel with this
run's nonce; a test with no record, or with contradicting records, is failed. Feedback
text is scrubbed of any line of the hidden tests' source.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass
class TestResult:
    __test__ = False  # a result, not a pytest test class

    name: str
    status: str
    message: str
    output: str
    points: float
    visible: bool

    @property
    def earned(self) -> float:
        return self.points if self.status == PASS else 0


@dataclass
class Grade:
    exercise: str
    status: str
    score: float
    max_score: float
    message: str
    tests: list[TestResult] = field(default_factory=list)
    comments: list[dict] = field(default_factory=list)
    sandbox: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        data["score"] = number(self.score)
        data["max_score"] = number(self.max_score)
        for test in data["tests"]:
            test["points"] = number(test["points"])
        return data


def number(value: float) -> float | int:
    """A score as JSON shows it: ``7`` for 7.0, ``2.5`` for 2.5.

    >>> number(7.0), number(2.5), number(1 / 3)
    (7, 2.5, 0.33)
    """
    return int(value) if float(value).is_integer() else round(value, 2)


def points(value: float) -> str:
    """A score as people read it.

    >>> points(7.0), points(2.5)
    ('7', '2.5')
    """
    return str(number(value))


class RecordStream:
    """Reads the result channel as it arrives: the JSON records that carry this run's nonce.

    >>> stream = RecordStream("n0")
    >>> stream.feed(b'n0 {"event": "a"}\\nforged {"event": "b"}\\nn0 {"ev')
    [{'event': 'a'}]
    >>> stream.feed(b'ent": "c"}\\n')
    [{'event': 'c'}]
    """

    def __init__(self, nonce: str):
        self._prefix = nonce.encode() + b" "
        self._partial = b""

    def feed(self, data: bytes) -> list[dict]:
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        return [record for line in lines if (record := self._record(line)) is not None]

    def close(self) -> list[dict]:
        """The last record, if the channel ended without a newline."""
        line, self._partial = self._partial, b""
        record = self._record(line)
        return [record] if record is not None else []

    def _record(self, line: bytes) -> dict | None:
        if not line.startswith(self._prefix):
            return None
        try:
            record = json.loads(line[len(self._prefix):].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return None
        if isinstance(record, dict) and isinstance(record.get("event"), str):
            return record
        return None


def records(channel: bytes, nonce: str) -> list[dict]:
    """The JSON records of this run: lines that start with the nonce and parse."""
    stream = RecordStream(nonce)
    return stream.feed(channel) + stream.close()


def test_results(expected: list[dict], reported: list[dict], missing_reason: str) -> list[TestResult]:
    """One result per expected test, in the manifest's order."""
    by_key: dict[tuple[str, str], list[dict]] = {}
    for record in reported:
        if record.get("event") == "test":
            by_key.setdefault((str(record.get("module")), str(record.get("name"))), []).append(record)
    results = []
    for test in expected:
        found = by_key.get((test["module"], test["name"]), [])
        if len(found) == 1 and found[0].get("status") in (PASS, FAIL, "skip"):
            record = found[0]
            status = PASS if record["status"] == PASS else FAIL
            message, output = str(record.get("message", "")), str(record.get("output", ""))
        elif len(found) > 1:
            status, message, output = FAIL, "this test reported more than once; counted as failed", ""
        else:
            status, message, output = FAIL, missing_reason, ""
        results.append(
            TestResult(
                name=display_name(test["name"]),
                status=status,
                message=message,
                output=output,
                points=float(test["points"]),
                visible=bool(test["visible"]),
            )
        )
    return results


def display_name(name: str) -> str:
    return name[5:] if name.startswith("test ") else name


class Scrubber:
    """Removes hidden-test source lines from feedback text."""

    MIN_LINE = 12

    def __init__(self, hidden_sources: list[str], keep: list[str]):
        allowed = {line.strip() for text in keep for line in text.splitlines()}
        lines = {
            line.strip()
            for text in hidden_sources
            for line in text.splitlines()
            if len(line.strip()) >= self.MIN_LINE and line.strip() not in allowed
        }
        self._pattern = (
            re.compile("|".join(re.escape(line) for line in sorted(lines, key=len, reverse=True))) if lines else None
        )

    def __call__(self, text: str) -> str:
        if not self._pattern or not text:
            return text
        return self._pattern.sub("[hidden test source removed]", text)

    def grade(self, grade: Grade) -> Grade:
        grade.message = self(grade.message)
        for test in grade.tests:
            test.message = self(test.message)
            test.output = self(test.output)
        return grade
