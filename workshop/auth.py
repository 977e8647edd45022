"""The hub's authenticator: ``accounts.sign_in`` behind JupyterHub's login page.

The page's extra field (JupyterHub's one-time-password field, renamed) takes the sign-up code
on a learner's first sign-in; after that the name and their own password are enough. A name
that is already one of the machine's own Unix accounts cannot be a learner's, since each
learner's server runs as the Unix account of the same name.
"""

from __future__ import annotations

import grp
import pwd
from pathlib import Path

from jupyterhub.auth import Authenticator
from tornado import web
from traitlets import Bool, Unicode, default

from .accounts import NAME, Accounts, AccountError, read_roster, sign_in

LEARNER_GROUP = "otp-learners"


def machine_account(name: str) -> bool:
    """True for a Unix account of the machine's own, not one the hub made for a learner."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        return False
    try:
        return account.pw_gid != grp.getgrnam(LEARNER_GROUP).gr_gid
    except KeyError:
        return True


class WorkshopAuthenticator(Authenticator):
    """Sign-up with the room's code (or a roster), then each learner's own password."""

    accounts_file = Unicode(config=True, help="JSON file of names and password hashes (made 0600)")
    learner_code = Unicode(config=True, help="the code learners give once, to sign up")
    instructor_code = Unicode(config=True, help="the code instructors give once, to sign up; admin_users only")
    roster_file = Unicode("", config=True, help="one learner name a line; empty: anyone with the learner code")
    request_otp = Bool(True, config=True)
    otp_prompt = Unicode("Sign-up code (first sign-in only):", config=True)

    @default("username_pattern")
    def _pattern(self):
        return NAME.pattern

    @default("allow_all")
    def _allow_all(self):
        # The sign-up code (and the roster, if any) decides who gets in: see accounts.sign_in.
        return True

    async def authenticate(self, handler, data):
        name = self.normalize_username(data.get("username", ""))
        instructor = name in self.admin_users
        try:
            if not instructor and machine_account(name):
                raise AccountError(f"{name} is one of this machine's own accounts: choose another name")
            sign_in(Accounts(Path(self.accounts_file)), name, data.get("password", ""), data.get("otp", "").strip(),
                    instructor=instructor, learner_code=self.learner_code, instructor_code=self.instructor_code,
                    roster=read_roster(Path(self.roster_file) if self.roster_file else None))
        except AccountError as exc:
            self.log.info("Sign-in refused for %r: %s", name[:32], exc)
            raise web.HTTPError(403, str(exc).replace("%", "%%")) from None
        return {"name": name, "admin": instructor}
