"""Each exercise's clauses (`tests/exercises/<id>/clauses.toml`): a hint or "done means" clause of
its notebook, the tests that back it, the half-fix that breaks it and the grade that half-fix
gets. Read by the exercise tests and by `bench/exercise_flakes.py`."""

from __future__ import annotations

import tomllib
from pathlib import Path

HERE = Path(__file__).parent


def clauses(exercise_id: str) -> list[dict]:
    path = HERE / exercise_id / "clauses.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["clause"] if path.exists() else []


def fix_files(exercise_id: str, kind: str) -> list[Path]:
    """The exercise's ``correct/`` or ``half/`` fixes: ``.ex`` files, or ``.exs`` test files for an
    exercise whose learner file is a test file (a mutation exercise)."""
    folder = HERE / exercise_id / kind
    return sorted(p for p in folder.glob("*.ex*") if p.suffix in (".ex", ".exs")) if folder.is_dir() else []


def clause_of(exercise_id: str, half_fix: str) -> dict | None:
    """The clause the half-fix named ``half_fix`` (its file's stem) breaks."""
    return next((c for c in clauses(exercise_id) if c["half_fix"] == half_fix), None)


def recorded_score(clause: dict | None) -> tuple[float, float] | None:
    """The grade a half-fix gets, as (low, high): `score = n`, or `score = [low, high]` for a
    half-fix racy by design (its grade depends on how its own processes are scheduled, so on
    the machine's load; its clause says why). None when nothing usable is recorded."""
    score = (clause or {}).get("score")
    if isinstance(score, (int, float)):
        return score, score
    if isinstance(score, list) and len(score) == 2 and score[0] < score[1]:
        return score[0], score[1]
    return None
