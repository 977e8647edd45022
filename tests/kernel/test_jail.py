"""A session nobody trusts (IEX_KERNEL_JAIL=1, as under nbgrader autograde): the VM sees none of
the host but a copy of the notebook's folder, writes nowhere that lasts, reaches no network,
and leaves nothing behind."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from iex_kernel import jail
from iex_kernel.session import IExSession, SessionError

from .conftest import wait_until

REPO = Path(__file__).resolve().parents[2]


class Collect:
    def __init__(self):
        self.out = []

    def text(self, text):
        self.out.append(text)

    def display(self, data, metadata, display_id, update):
        pass

    def clear(self, wait):
        pass

    def input(self, prompt, password):
        return None


@pytest.fixture(scope="module")
def submission(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("submission")
    (folder / "project").mkdir()
    (folder / "project" / "given.ex").write_text("defmodule Given, do: def hello, do: :from_the_exercise\n")
    os.chmod(folder, 0o755)
    return folder


def jailed_session(folder: Path, **env: str) -> IExSession:
    """A session started as the kernel starts one under autograde, in the notebook's `folder`."""
    saved, here = dict(os.environ), os.getcwd()
    os.environ.update({jail.ENV_VAR: "1", **env})
    os.chdir(folder)
    try:
        return IExSession().start().wait_ready()
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def jailed(submission):
    session = jailed_session(submission, IEXK_TEST_SECRET="instructor-only")
    yield session
    session.close()


def value(session, code: str) -> str:
    outcome = session.execute(code, 1, Collect())
    assert outcome.status == "ok", (code, outcome.ename, outcome.evalue)
    return outcome.data["text/plain"]


def test_the_notebook_folder_is_there_and_its_files_work(jailed):
    assert value(jailed, "File.cwd!()") == '"/submission"'
    assert value(jailed, 'Code.require_file("project/given.ex")\nGiven.hello()') == ":from_the_exercise"


@pytest.mark.parametrize("path", ["solutions", "grader/hidden", "grader/engine.py", "README.md"])
def test_the_course_repository_is_not_visible(jailed, path):
    assert value(jailed, f'File.exists?("{REPO / path}")') == "false"


def test_home_folders_and_the_kernels_environment_are_not_visible(jailed):
    assert value(jailed, 'File.ls("/root")') == "{:error, :enoent}"
    assert value(jailed, 'System.get_env("IEXK_TEST_SECRET")') == "nil"


def test_writes_stay_in_the_jail(jailed, submission):
    assert value(jailed, 'File.write("project/given.ex", "tampered")') == ":ok"
    assert (submission / "project" / "given.ex").read_text().startswith("defmodule Given")
    assert value(jailed, 'File.write("/submission-seed/x", "x")') == "{:error, :erofs}"
    assert value(jailed, f'File.write("{REPO / "planted.txt"}", "x")') == "{:error, :enoent}"
    assert not (REPO / "planted.txt").exists()


def test_the_jails_folders_are_size_capped(jailed):
    for folder in ("/tmp", "/submission"):
        code = f'File.write("{folder}/big", :binary.copy("x", {(jail.TMP_MB + 1) << 20}))'
        assert value(jailed, code) == "{:error, :enospc}"
        value(jailed, f'File.rm("{folder}/big")')


def test_no_network_reaches_the_host(jailed):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    try:
        result = value(jailed, f':gen_tcp.connect(~c"127.0.0.1", {port}, [], 2000)')
        assert result.startswith("{:error, ")
        assert accepted == []
    finally:
        server.close()


def test_it_runs_as_an_unprivileged_user(jailed):
    if os.geteuid() != 0:
        pytest.skip("the kernel is not root here, so the VM keeps the kernel's own user")
    assert "uid=65534" in value(jailed, 'elem(System.cmd("id", []), 0)')


def test_nothing_it_starts_outlives_it(submission):
    session = jailed_session(submission)
    marker = "4243"
    value(session, f':os.cmd(~c"sleep {marker} > /dev/null 2>&1 &")')
    assert wait_until(lambda: any(marker in _cmdline(p) for p in _pids()))
    session.close()
    assert wait_until(lambda: not any(marker in _cmdline(p) for p in _pids())), "a detached process outlived the jail"


def test_a_session_that_must_be_jailed_but_cannot_be_says_why_and_runs_nothing(monkeypatch, submission):
    monkeypatch.chdir(submission)
    monkeypatch.setenv(jail.ENV_VAR, "1")
    monkeypatch.setattr(jail, "bubblewrap", lambda: (_ for _ in ()).throw(jail.JailError("no bubblewrap here")))
    session = IExSession().start()
    with pytest.raises(SessionError, match="no bubblewrap here"):
        session.wait_ready()
    assert not session.alive
    session.close()


def _pids() -> list[str]:
    return [p for p in os.listdir("/proc") if p.isdigit()]


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
