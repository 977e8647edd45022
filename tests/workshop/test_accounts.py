"""Who may sign in to the workshop hub: sign-up with the room's code, then one's own password."""

from __future__ import annotations

import doctest
import stat

import pytest

from workshop import accounts
from workshop.accounts import AccountError, Accounts, Roster, read_roster, sign_in

CODES = {"learner_code": "room-code-42", "instructor_code": "instructor-code-0123456789"}


def sign(store, name, password, code="", *, instructor=False, roster=Roster()):
    return sign_in(store, name, password, code, instructor=instructor, roster=roster, **CODES)


@pytest.fixture
def store(tmp_path):
    return Accounts(tmp_path / "state" / "accounts.json")


def test_the_doctests_hold():
    assert doctest.testmod(accounts).failed == 0


def test_a_learner_signs_up_once_with_the_code_then_with_their_password_alone(store):
    sign(store, "ada", "ada-secret-1", "room-code-42")
    sign(store, "ada", "ada-secret-1")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert "ada-secret-1" not in store.path.read_text()


def test_the_code_does_not_sign_in_as_someone_who_signed_up(store):
    sign(store, "ada", "ada-secret-1", "room-code-42")
    with pytest.raises(AccountError, match="wrong password"):
        sign(store, "ada", "guess-guess", "room-code-42")


@pytest.mark.parametrize("code, says", [("", "also give the sign-up code"), ("nope-nope", "not this room's"),
                                        ("instructor-code-0123456789", "not this room's")])
def test_signing_up_needs_the_learner_code(store, code, says):
    with pytest.raises(AccountError, match=says):
        sign(store, "ada", "ada-secret-1", code)
    assert not store.exists("ada")


def test_instructors_sign_up_with_the_instructor_code_only(store):
    with pytest.raises(AccountError, match="not this room's"):
        sign(store, "grace", "grace-secret", "room-code-42", instructor=True)
    sign(store, "grace", "grace-secret", "instructor-code-0123456789", instructor=True)


@pytest.mark.parametrize("name", ["Ada", "1ada", "ada smith", "../etc", "a" * 33, ""])
def test_a_name_must_be_a_safe_unix_name(store, name):
    with pytest.raises(AccountError, match="cannot be a name here"):
        sign(store, name, "ada-secret-1", "room-code-42")


def test_a_short_password_is_refused_and_nothing_is_kept(store):
    with pytest.raises(AccountError, match="at least 8 characters"):
        sign(store, "ada", "short", "room-code-42")
    assert not store.exists("ada")


def test_with_a_roster_only_its_names_sign_up(store, tmp_path):
    roster_file = tmp_path / "room.txt"
    roster_file.write_text("# room 2\nada\nbob  # late\n")
    roster = read_roster(roster_file)
    sign(store, "bob", "bob-secret-2", "room-code-42", roster=roster)
    with pytest.raises(AccountError, match="not on this workshop's roster"):
        sign(store, "carol", "carol-secret", "room-code-42", roster=roster)


def test_a_bad_roster_says_which_line(tmp_path):
    roster_file = tmp_path / "room.txt"
    roster_file.write_text("ada\nBob Smith\n")
    with pytest.raises(AccountError, match="line 2"):
        read_roster(roster_file)
    roster_file.write_text("# nobody yet\n")
    with pytest.raises(AccountError, match="names nobody"):
        read_roster(roster_file)
