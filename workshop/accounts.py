"""Who may sign in to the workshop hub, and with which password.

A learner signs up once, at the hub's own login page: a name, a password of their own and the
room's sign-up code (the code the instructor writes on the board). From then on the name and
that password sign them in, and the code alone signs in nobody: one learner cannot sign in as
another. With a roster (one name a line), only its names can sign up. Instructors sign up the
same way with the instructor code, and only under the names the hub was started with.

Passwords are kept as scrypt hashes (``hashlib.scrypt``: the standard library has it, and a
workshop hub needs nothing stronger) in one JSON file only root can read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
"""A name that is also a safe Unix account name: lower case, starts with a letter, at most 32."""
MIN_PASSWORD = 8
MIN_LEARNER_CODE = 8
MIN_INSTRUCTOR_CODE = 16
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccountError(ValueError):
    """A sign-in or sign-up that cannot go through; the message says what to do instead."""


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise AccountError(f"{name!r} cannot be a name here: use 1 to 32 lower-case letters, digits, '-' or '_', "
                           "starting with a letter (for example ada or ada_l)")
    return name


@dataclass(frozen=True)
class Roster:
    """The names that may sign up as learners; ``None`` means anyone with the sign-up code."""

    learners: frozenset[str] | None = None

    def admits(self, name: str) -> bool:
        return self.learners is None or name in self.learners


def read_roster(path: Path | None) -> Roster:
    """A roster file: one learner name a line; blank lines and ``#`` comments are ignored.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "roster.txt"
    >>> _ = f.write_text("# room 2\\nada\\n\\nalan  # late\\n")
    >>> sorted(read_roster(f).learners)
    ['ada', 'alan']
    """
    if path is None:
        return Roster()
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise AccountError(f"cannot read the roster {path}: {exc.strerror}") from None
    names = set()
    for number, line in enumerate(lines, 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        try:
            names.add(check_name(name))
        except AccountError as exc:
            raise AccountError(f"{path}, line {number}: {exc}") from None
    if not names:
        raise AccountError(f"the roster {path} names nobody: write one learner name a line")
    return Roster(frozenset(names))


def new_code(length: int) -> str:
    """A sign-up code easy to read aloud: lower-case letters and digits without 0, o, 1, l."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """
    >>> password_matches("correct horse", hash_password("correct horse"))
    True
    >>> password_matches("wrong", hash_password("correct horse"))
    False
    """
    scheme, salt, digest = stored.split("$")
    return scheme == "scrypt" and hmac.compare_digest(hash_password(password, bytes.fromhex(salt)), stored)


class Accounts:
    """The signed-up names and their password hashes, in one JSON file (mode 0600)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def exists(self, name: str) -> bool:
        return name in self._read()

    def verify(self, name: str, password: str) -> bool:
        stored = self._read().get(name)
        return stored is not None and password_matches(password, stored)

    def add(self, name: str, password: str) -> None:
        check_name(name)
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"choose a password of at least {MIN_PASSWORD} characters")
        accounts = self._read()
        if name in accounts:
            raise AccountError(f"{name} is taken: choose another name, or sign in with {name}'s password")
        accounts[name] = hash_password(password)
        new = self.path.with_suffix(".new")
        new.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(accounts, out, indent=1, sort_keys=True)
        os.replace(new, self.path)


def sign_in(accounts: Accounts, name: str, password: str, code: str, *, instructor: bool,
            learner_code: str, instructor_code: str, roster: Roster) -> None:
    """Signs ``name`` in, signing them up first if the name is new; AccountError says why not."""
    check_name(name)
    if accounts.exists(name):
        if not accounts.verify(name, password):
            raise AccountError("wrong password for this name (the sign-up code is only for your first sign-in)")
        return
    if not code:
        raise AccountError(f"{name} has not signed up yet: to sign up, also give the sign-up code your instructor "
                           "gave the room")
    expected = instructor_code if instructor else learner_code
    if not expected or not hmac.compare_digest(code.encode(), expected.encode()):
        raise AccountError("that sign-up code is not this room's: ask your instructor for it")
    if not instructor and not roster.admits(name):
        raise AccountError(f"{name} is not on this workshop's roster: sign up with the name your instructor has")
    accounts.add(name, password)
