"""Start, restart and shutdown as Jupyter really drives them: kernel_info on two channels at
once, restarts over and over, shutdown mid-cell, a kernel killed outright, and no VM left behind."""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from iex_kernel.session import IExSession

from .conftest import pid_alive, wait_until

RESTARTS = 10  # the browser lost 5 restarts in 7 before the fix; bench/ soaks more


class MarkedKernel:
    """A kernel whose processes carry a marker in their environment, so the test can find
    every process it started (the VM, its OS children) after the kernel is gone."""

    def __init__(self, kernel_name: str = "elixir"):
        self.mark = secrets.token_hex(8)
        self.km = KernelManager(kernel_name=kernel_name)
        self.km.start_kernel(env={**os.environ, "IEXK_TEST_MARK": self.mark})
        self.kc = self.km.client()
        self.kc.start_channels()
        self._kernel_pid = self.kernel_pid()

    def kernel_info_on_both_channels(self, timeout: float = 30) -> dict:
        """Sends kernel_info on shell and control at once, as jupyter_server does after a start."""
        self.kc.kernel_info()
        self.kc.control_channel.send(self.kc.session.msg("kernel_info_request"))
        replies: dict[str, str] = {}

        def wait(channel, name):
            try:
                replies[name] = channel.get_msg(timeout=timeout)["content"]["status"]
            except Exception as exc:  # noqa: BLE001 - the reply's absence is the failure
                replies[name] = f"no reply ({type(exc).__name__})"

        threads = [threading.Thread(target=wait, args=(self.kc.shell_channel, "shell")),
                   threading.Thread(target=wait, args=(self.kc.control_channel, "control"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return replies

    def run(self, code: str, timeout: float = 60) -> dict:
        self.kc.wait_for_ready(timeout=60)  # iopub connected: the cell's output will be seen
        outputs = []
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=outputs.append)
        return {"status": reply["content"]["status"], "reply": reply["content"],
                "text": "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream"),
                "result": next((m["content"]["data"]["text/plain"] for m in outputs
                                if m["msg_type"] == "execute_result"), None)}

    def kernel_pid(self) -> int:
        """The kernel process's pid (the last one known once the kernel is gone)."""
        if self.km.provisioner is not None and self.km.provisioner.process is not None:
            self._kernel_pid = self.km.provisioner.process.pid
        return self._kernel_pid

    def processes(self) -> list[tuple[int, str]]:
        """Live processes (pid, command name) carrying this kernel's marker, the kernel excluded."""
        needle = f"IEXK_TEST_MARK={self.mark}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.kernel_pid():
                continue
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0") and pid_alive(int(entry.name)):
                    found.append((int(entry.name), (entry / "comm").read_text().strip()))
            except OSError:
                continue
        return found

    def session_folder(self) -> Path:
        """The private folder of the kernel's IEx session (from the VM's environment)."""
        [vm] = self.vms()
        environ = (Path("/proc") / str(vm) / "environ").read_bytes().split(b"\0")
        return Path(next(item[len(b"IEXK_DIR="):] for item in environ if item.startswith(b"IEXK_DIR=")).decode())

    def vms(self) -> list[int]:
        return [pid for pid, name in self.processes() if name.startswith("beam")]

    def close(self):
        self.kc.stop_channels()
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=True)


@pytest.fixture
def marked():
    kernel = MarkedKernel()
    yield kernel
    kernel.close()


def test_kernel_info_on_shell_and_control_at_once_after_every_start_and_restart(marked):
    for attempt in range(RESTARTS + 1):
        assert marked.kernel_info_on_both_channels() == {"shell": "ok", "control": "ok"}, f"start {attempt}"
        assert marked.run("1 + 1")["result"] == "2", f"start {attempt}"
        assert len(marked.vms()) == 1, f"start {attempt}: one VM per kernel"
        if attempt < RESTARTS:
            marked.km.restart_kernel(now=False)


def test_the_banner_names_the_versions_even_when_asked_on_control_first(marked):
    marked.kc.control_channel.send(marked.kc.session.msg("kernel_info_request"))
    reply = marked.kc.control_channel.get_msg(timeout=60)["content"]
    assert reply["status"] == "ok"
    assert reply["banner"].startswith("Elixir 1.")
    assert reply["language_info"]["version"].startswith("1.")


def test_shutdown_while_idle_leaves_no_process(marked):
    marked.run('System.cmd("true", [])')
    assert marked.vms()
    marked.km.shutdown_kernel(now=False)
    assert wait_until(lambda: marked.processes() == []), marked.processes()


def test_shutdown_during_a_running_cell_leaves_no_process_and_starts_no_new_vm(marked):
    marked.run("1")
    marked.kc.execute('spawn(fn -> System.cmd("sleep", ["600"]) end)\nProcess.sleep(:infinity)')
    assert wait_until(lambda: any(name == "sleep" for _, name in marked.processes()))
    marked.km.shutdown_kernel(now=False)
    assert wait_until(lambda: marked.processes() == []), marked.processes()


@pytest.mark.parametrize("cell", [None, "Process.sleep(:infinity)", "Stream.iterate(0, &(&1 + 1)) |> Stream.run()"],
                         ids=["idle", "sleeping-cell", "busy-cell"])
def test_a_kernel_killed_outright_takes_its_vm_with_it(marked, cell):
    marked.run("1")
    if cell:
        marked.kc.execute(cell)
        time.sleep(0.5)
    assert marked.vms()
    os.kill(marked.kernel_pid(), signal.SIGKILL)
    assert wait_until(lambda: marked.vms() == []), marked.processes()


def test_a_kernel_killed_while_its_vm_boots_takes_the_vm_with_it(marked):
    assert wait_until(lambda: marked.vms() != [], interval=0.005)
    os.kill(marked.kernel_pid(), signal.SIGKILL)
    assert wait_until(lambda: marked.vms() == []), marked.processes()


def at_once(call, threads: int = 4, timeout: float = 120) -> tuple[list, list]:
    """Runs `call` in several threads at once; returns (results, exceptions)."""
    results, errors = [], []

    def run():
        try:
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - any exception is the failure under test
            errors.append(exc)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=timeout)
    return results, errors


def test_many_threads_waiting_for_one_start_all_see_it():
    session = IExSession().start()
    try:
        versions, errors = at_once(lambda: session.wait_ready().versions["elixir"])
        assert errors == [] and len(versions) == 4
    finally:
        session.close()


def test_close_from_several_threads_at_once_is_safe():
    session = IExSession().start().wait_ready()
    vm = session._proc.pid
    _, errors = at_once(session.close, timeout=30)
    assert errors == []
    assert wait_until(lambda: not pid_alive(vm))
    session.close()  # and once more, afterwards


def test_a_session_that_cannot_start_says_so_to_every_caller(monkeypatch, tmp_path):
    fake = tmp_path / "iex"
    fake.write_text("#!/bin/sh\necho 'no Elixir here'\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    session = IExSession(start_timeout=20).start()
    for _ in range(2):
        with pytest.raises(Exception, match="IEx exited while starting:\n.*no Elixir here"):
            session.wait_ready()
    session.close()


def test_the_folder_of_a_kernel_killed_outright_is_removed_by_the_next_start(marked):
    marked.run("1")
    folder = marked.session_folder()
    assert folder.is_dir()
    os.kill(marked.kernel_pid(), signal.SIGKILL)
    assert wait_until(lambda: marked.vms() == [])
    assert folder.is_dir(), "nothing ran to remove it"
    IExSession().start().close()
    assert not folder.exists()


def test_a_normal_shutdown_removes_the_folder(marked):
    marked.run("1")
    folder = marked.session_folder()
    marked.km.shutdown_kernel(now=False)
    assert wait_until(lambda: not folder.exists())


@pytest.mark.parametrize("cell", [None, "1 + 1"], ids=["idle", "after-a-cell"])
def test_the_kernel_process_exits_by_itself_after_a_shutdown_request(tmp_path, cell):
    """Nobody kills it here (jupyter_client would, seconds later): it must end on its own, and
    not by giving up on a flush that could never happen (ipykernel then says so on stderr)."""
    stderr = (tmp_path / "stderr").open("w")
    km = KernelManager(kernel_name="elixir")
    km.start_kernel(stderr=stderr)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        if cell:
            kc.execute_interactive(cell, timeout=60, output_hook=lambda msg: None)
        kernel = km.provisioner.process
        kc.shutdown()
        assert kernel.wait(timeout=60) == 0
        assert "flush timed out" not in (tmp_path / "stderr").read_text()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        stderr.close()
