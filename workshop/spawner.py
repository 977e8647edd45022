"""Each learner's server as a Unix account of their own; the instructor's as the hub's account.

A learner's account is made at their first start (group ``otp-learners``, home
``HUB_DIR/home/<name>``, mode 0700), so learners cannot read each other's work, and their server
runs the course from ``HUB_DIR/env`` and ``HUB_DIR/course-root``: no solutions, no hidden tests.
The teaching notebooks are copied into ``~/course/`` (a notebook already there is theirs and is
kept); exercises arrive through nbgrader's Assignments panel.

An instructor's server runs as the account that started the hub (it owns the repository), from
the repository's own .venv, on the nbgrader course folder ``HUB_DIR/course``.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Bool, Unicode

from grader.learner_lab import QUIZ_PATH_VARIABLE, START_PAGE

from .auth import LEARNER_GROUP
from .image import Layout


def ensure_learner_account(name: str, home: Path) -> pwd.struct_passwd:
    """The learner's Unix account, made if it is new; its home is theirs alone."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--gid", LEARNER_GROUP,
                        "--shell", "/bin/bash", name], check=True, capture_output=True)
        account = pwd.getpwnam(name)
    home.mkdir(mode=0o700, exist_ok=True)
    os.chown(home, account.pw_uid, account.pw_gid)
    home.chmod(0o700)
    return account


def copy_course(release: Path, home: Path, account: pwd.struct_passwd) -> None:
    """Copies the released teaching notebooks the learner does not have yet into ``~/course/``."""
    target = home / "course"
    if not target.exists():
        target.mkdir()
        os.chown(target, account.pw_uid, account.pw_gid)
    for notebook in sorted((release / "course").glob("*.ipynb")):
        if not (target / notebook.name).exists():
            shutil.copyfile(notebook, target / notebook.name)
            os.chown(target / notebook.name, account.pw_uid, account.pw_gid)


def learner_environment(layout: Layout, home: Path) -> dict[str, str]:
    """What a learner's server (and so their kernels and terminals) runs with: the shared
    settings read-only, their own lab settings and workspaces in their home."""
    return {
        "JUPYTERLAB_SETTINGS_DIR": str(home / ".jupyter" / "lab" / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / ".jupyter" / "lab" / "workspaces"),
        "PATH": f"{layout.env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "VIRTUAL_ENV": str(layout.env),
        "OTP_COURSE_ROOT": str(layout.course_root),
        QUIZ_PATH_VARIABLE: str(layout.course_root / "course" / "quizzes"),
        "JUPYTER_CONFIG_DIR": str(layout.jupyter / "learner"),
    }


def instructor_environment(layout: Layout, repository: Path) -> dict[str, str]:
    """What the instructor's server and terminal run with: the repository's own environment,
    and the exchange's settings."""
    venv = repository / ".venv"
    return {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "VIRTUAL_ENV": str(venv),
        "JUPYTER_CONFIG_DIR": str(layout.jupyter / "instructor"),
    }


class WorkshopSpawner(LocalProcessSpawner):
    hub_dir = Unicode(config=True, help="the hub's folder (see workshop/image.py)")
    repository = Unicode(config=True, help="the course repository the instructor's server runs from")
    expose_app = Bool(False, config=True, help="window.jupyterapp in each lab (for the browser tests)")

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.hub_dir))

    @property
    def unix_name(self) -> str:
        return pwd.getpwuid(os.getuid()).pw_name if self.user.admin else self.user.name

    def make_preexec_fn(self, name):
        if not self.user.admin:
            return super().make_preexec_fn(self.unix_name)
        # nbgrader's formgrader takes the folder it starts in for the course: the course folder.
        become, course = set_user_setuid(self.unix_name, chdir=False), str(self.layout.course)

        def preexec():
            become()
            os.chdir(course)

        return preexec

    def user_env(self, env):
        account = pwd.getpwnam(self.unix_name)
        env.update(USER=account.pw_name, HOME=account.pw_dir, SHELL=account.pw_shell or "/bin/sh")
        return env

    async def start(self):
        if self.user.admin:
            self._configure_instructor()
        else:
            await asyncio.to_thread(self._configure_learner)
        return await super().start()

    def _configure_learner(self) -> None:
        layout = self.layout
        home = layout.homes / self.user.name
        account = ensure_learner_account(self.user.name, home)
        copy_course(layout.release, home, account)
        self.cmd = [str(layout.env / "bin" / "python"), "-m", "jupyterhub.singleuser"]
        self.args = self._lab_args()
        self.notebook_dir = str(home)
        self.default_url = f"/lab/tree/{START_PAGE}"
        self.environment = learner_environment(layout, home)

    def _configure_instructor(self) -> None:
        layout, venv = self.layout, Path(self.repository) / ".venv"
        self.cmd = [str(venv / "bin" / "python"), "-m", "jupyterhub.singleuser"]
        self.args = self._lab_args() + (["--allow-root"] if os.getuid() == 0 else [])
        self.notebook_dir = str(layout.course)
        self.default_url = "/lab"
        self.environment = instructor_environment(layout, Path(self.repository))

    def _lab_args(self) -> list[str]:
        return ["--LabApp.expose_app_in_browser=True"] if self.expose_app else []
