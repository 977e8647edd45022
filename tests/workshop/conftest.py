"""A real workshop hub for the tests: ``python -m workshop serve`` on a free loopback port, in a
folder of its own under /tmp, with two learners' names and one instructor's.

Stopping it is part of the test: every server it started and its proxy must be gone afterwards,
and the Unix accounts it made are removed."""

from __future__ import annotations

import html
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from workshop.image import Layout
from workshop.spawner import instructor_environment

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "workshop"
LEARNERS = ("ada", "bob")
INSTRUCTOR = "grace"
PASSWORDS = {"ada": "ada-secret-1", "bob": "bob-secret-2", INSTRUCTOR: "grace-secret-3"}
LEARNER_CODE = "room-code-42"
INSTRUCTOR_CODE = "instructor-code-0123456789"
ASSIGNMENT, EXERCISE = "day1", "03_classify_failures"
MANIFEST = f'''[[assignment]]
id = "{ASSIGNMENT}"
title = "Day one: classify failures"
exercises = ["{EXERCISE}"]
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes_of(names) -> list[str]:
    uids = set()
    for name in names:
        try:
            uids.add(pwd.getpwnam(name).pw_uid)
        except KeyError:
            pass
    found = []
    for entry in Path("/proc").iterdir():
        try:
            # An exited process its parent has not reaped yet (state Z) runs nothing.
            if entry.name.isdigit() and entry.stat().st_uid in uids and (entry / "stat").read_text().split(") ")[1][0] != "Z":
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
        except OSError:
            pass
    return found


def _remove_accounts(names) -> None:
    """What the instructor runs after the workshop, for the accounts this test made."""
    existing = [name for name in names if _exists(name)]
    if existing:
        removed = subprocess.run([sys.executable, "-m", "workshop", "remove-learners", *existing],
                                 capture_output=True, text=True)
        assert removed.returncode == 0, removed.stderr
        assert not any(_exists(name) for name in names)


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class Hub:
    def __init__(self, root: Path, port: int, process: subprocess.Popen):
        self.root, self.port, self.process = root, port, process
        self.url = f"http://127.0.0.1:{port}"

    def home(self, name: str) -> Path:
        return self.root / "home" / name

    def sign_in(self, name: str, password: str, code: str = "") -> requests.Response:
        """Posts the login form as a browser does; returns the response (redirects not followed)."""
        session = requests.Session()
        page = session.get(f"{self.url}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        response = session.post(f"{self.url}/hub/login", data={"_xsrf": xsrf, "username": name, "password": password,
                                                                "otp": code}, allow_redirects=False, timeout=60)
        response.session = session
        return response

    def start_server(self, name: str, password: str, code: str = LEARNER_CODE) -> requests.Session:
        """Signs in (up) and waits until the learner's JupyterLab answers; returns the signed-in session."""
        response = self.sign_in(name, password, code)
        assert response.status_code == 302, _login_error(response)
        session = response.session
        session.get(f"{self.url}/hub/spawn", timeout=120)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            lab = session.get(f"{self.url}/user/{name}/lab", timeout=60)
            if lab.status_code == 200 and "jupyter-config-data" in lab.text:
                return session
            time.sleep(1)
        pytest.fail(f"{name}'s server did not start; see {ARTIFACTS / 'hub.log'}")

    def instructor(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        """What the instructor types in their hub terminal: in the course folder, with its settings."""
        env = {**os.environ, **instructor_environment(Layout(self.root), REPO)}
        result = subprocess.run(list(command), cwd=self.root / "course", env=env, capture_output=True, text=True,
                                timeout=600)
        if check:
            assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result


def _login_error(response) -> str:
    found = re.search(r'class="login_error">([^<]*)<', response.text)
    return html.unescape(found.group(1)) if found else f"HTTP {response.status_code}"


@pytest.fixture(scope="session")
def hub():
    if os.geteuid() != 0:
        pytest.skip("the workshop hub makes Unix accounts, so its tests run as root (as make test does in CI)")
    for name in LEARNERS:
        assert not _processes_of([name]), f"a process of {name} is left from before"
    _remove_accounts(LEARNERS)
    root = Path(tempfile.mkdtemp(prefix="otp-hub-test-", dir="/tmp"))
    root.chmod(0o755)
    manifest = root.parent / f"{root.name}-course.toml"
    manifest.write_text(MANIFEST)
    repo_mode = stat.S_IMODE(REPO.stat().st_mode)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "hub.log", "w")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "workshop", "serve", "--dir", str(root), "--port", str(port),
         "--learner-code", LEARNER_CODE, "--instructor-code", INSTRUCTOR_CODE, "--instructor", INSTRUCTOR,
         "--manifest", str(manifest)],
        env={**os.environ, "OTP_HUB_EXPOSE_APP": "1"}, stdout=log, stderr=subprocess.STDOUT)
    hub = Hub(root, port, process)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(f"{hub.url}/hub/api/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            pytest.fail(f"the hub did not start; see {ARTIFACTS / 'hub.log'}")
        yield hub
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        left = _processes_of(LEARNERS)
        proxy = [line for line in _processes_of(["root"]) if "configurable-http-proxy" in line and f"--port {port}" in line]
        for pid in subprocess.run(["pgrep", "-u", ",".join(LEARNERS)], capture_output=True, text=True).stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        _remove_accounts(LEARNERS)
        REPO.chmod(repo_mode)
        shutil.rmtree(root, ignore_errors=True)
        manifest.unlink(missing_ok=True)
        assert process.returncode is not None and not left and not proxy, \
            f"stopping the hub left processes behind: {left + proxy}"
