"""Fixtures for the kernel tests: a running `elixir` kernel and a way to run cells on it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from jupyter_client.manager import KernelManager

CELL_TIMEOUT = 60


@dataclass
class Run:
    """What one execute_request produced."""

    reply: dict
    messages: list = field(default_factory=list)  # (arrival time, msg_type, content)

    @property
    def status(self) -> str:
        return self.reply["status"]

    @property
    def stdout(self) -> str:
        return "".join(c["text"] for _, t, c in self.messages if t == "stream" and c["name"] == "stdout")

    @property
    def streams(self) -> list:
        return [c for _, t, c in self.messages if t == "stream"]

    @property
    def result(self) -> str | None:
        results = [c["data"].get("text/plain") for _, t, c in self.messages if t == "execute_result"]
        return results[0] if results else None

    def of_type(self, msg_type: str) -> list:
        return [c for _, t, c in self.messages if t == msg_type]


class Harness:
    """A kernel and its client, with `run(code)` returning what the cell produced."""

    def __init__(self):
        self.km = KernelManager(kernel_name="elixir")
        self.km.start_kernel()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = CELL_TIMEOUT, **kwargs) -> Run:
        messages = []
        hook = kwargs.pop("output_hook", None)

        def collect(msg):
            messages.append((time.monotonic(), msg["msg_type"], msg["content"]))
            if hook:
                hook(msg)

        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=collect, **kwargs)
        return Run(reply["content"], [m for m in messages if m[1] not in ("status", "execute_input")])

    def ask(self, request: str, *args, timeout: float = 30) -> dict:
        """Send a shell request (`complete`, `inspect`, `kernel_info`, ...) and return its reply's content.

        Replies to other requests are skipped: `wait_for_ready` re-sends kernel_info every second
        until one is answered, so a kernel slow to start leaves extra kernel_info replies queued.
        """
        msg_id = getattr(self.kc, request)(*args)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]

    def value(self, code: str) -> str:
        run = self.run(code)
        assert run.status == "ok", run.reply
        return run.result

    def beam_pid(self) -> int:
        return int(self.value("System.pid()").strip('"'))

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel():
    harness = Harness()
    yield harness
    harness.close()


@pytest.fixture
def fresh_kernel():
    """A kernel of the test's own, for tests that kill, halt or restart it."""
    harness = Harness()
    yield harness
    harness.close()


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
