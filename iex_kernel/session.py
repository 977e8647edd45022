"""One `iex` process, driven over pipes with pexpect: the notebook's Elixir session.

The kernel writes short commands to IEx's stdin (``IExKernel.execute(7, 3, false)``) and
reads IEx's stdout, where learner output streams and the Elixir side (``elixir/``) answers
in frames. The code of a cell travels in a file of the session's private folder, so any size
and any bytes are fine; over pipes IEx runs as a dumb terminal, so there is no echo, no line
editing, no line-length limit and no wrapping to undo.

Interrupts are a command too (``IExKernel.interrupt()``): the Elixir side kills the process
evaluating the cell and keeps the binding, which lives elsewhere. Only when the VM does not
answer within ``interrupt_grace`` seconds is the session restarted.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Protocol

import pexpect
from pexpect import fdpexpect

from .frames import Frame, FrameReader, Text

ELIXIR_DIR = Path(__file__).with_name("elixir")
FLUSH_INTERVAL = 0.05  # seconds: how often streamed text is sent while a cell prints
READ_SIZE = 1 << 16
MAX_PENDING = 1 << 20  # idle output kept for the next cell, in characters


class SessionError(RuntimeError):
    """The session could not start, or died."""


class Sink(Protocol):
    """Where the output of a running cell goes (the kernel sends it to the notebook)."""

    def text(self, text: str) -> None: ...

    def display(self, data: dict, metadata: dict, display_id: Optional[str], update: bool) -> None: ...

    def clear(self, wait: bool) -> None: ...

    def input(self, prompt: str, password: bool) -> Optional[str]:
        """The line the user typed, or None for end of input."""


@dataclass
class Outcome:
    """How a cell ended: ``ok`` with an optional result bundle, or ``error``."""

    status: str
    data: Optional[dict] = None
    ename: str = ""
    evalue: str = ""
    traceback: list[str] = field(default_factory=list)

    @classmethod
    def error(cls, ename: str, evalue: str) -> "Outcome":
        return cls("error", ename=ename, evalue=evalue, traceback=[f"\x1b[0;31m** ({ename}) {evalue}\x1b[0m"])


def iex_executable() -> str:
    found = shutil.which("iex")
    if not found:
        raise SessionError(
            "`iex` is not on PATH: install Elixir >= 1.14 (Debian: `sudo apt-get install elixir`, "
            "or `make setup` in the course folder, or the conda environment in environment.yml)."
        )
    return found


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(ELIXIR_DIR.glob("*.ex*")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "iex_kernel" / _sources_digest()


class IExSession:
    """A running `iex` with the kernel's Elixir side loaded. Not thread-safe: one caller."""

    def __init__(self, start_timeout: float = 120.0, interrupt_grace: float = 2.0):
        self.start_timeout = start_timeout
        self.interrupt_grace = interrupt_grace
        self.versions: dict[str, str] = {}
        self._pending: list[str] = []
        self._next_id = 0
        self._proc: Optional[subprocess.Popen] = None
        self._dir: Optional[Path] = None

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> "IExSession":
        """Spawns IEx and returns at once; `wait_ready` waits for the Elixir side's hello."""
        self._nonce = secrets.token_hex(8)
        self._reader = FrameReader(self._nonce)
        self._dir = Path(tempfile.mkdtemp(prefix="iex_kernel-"))
        cookie = secrets.token_urlsafe(18)
        env = dict(os.environ)
        env.update(
            IEXK_NONCE=self._nonce,
            IEXK_DIR=str(self._dir),
            IEXK_SRC=str(ELIXIR_DIR),
            IEXK_CACHE=str(_cache_root()),
            TERM="dumb",
            LANG="C.UTF-8",
            LC_ALL="C.UTF-8",
            # If a cell starts distribution, epmd and the node listen on loopback only.
            ERL_EPMD_ADDRESS="127.0.0.1",
        )
        env.setdefault("HOME", str(self._dir))
        command = [
            iex_executable(),
            "--erl", "+Bi -kernel inet_dist_use_interface {127,0,0,1}",
            "--cookie", cookie,
            "--dot-iex", str(ELIXIR_DIR / "boot.exs"),
        ]
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=os.getcwd(),
            env=env,
            # Its own session: Jupyter's SIGINT to the kernel's process group must not reach
            # the VM (+Bi makes it ignore one anyway); interrupts go through `interrupt()`.
            start_new_session=True,
        )
        self._child = fdpexpect.fdspawn(self._proc.stdout, encoding="utf-8", codec_errors="replace", use_poll=True)
        self._child.delaybeforesend = None
        return self

    def wait_ready(self) -> "IExSession":
        """Blocks until the Elixir side says hello; raises SessionError with IEx's output if not."""
        deadline = time.monotonic() + self.start_timeout
        seen: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise SessionError("IEx did not start in time:\n" + "".join(seen)[-4000:])
            try:
                events = self._read(min(remaining, 1.0))
            except SessionError:
                raise SessionError("IEx exited while starting:\n" + "".join(seen)[-4000:]) from None
            for event in events:
                if isinstance(event, Frame) and event.payload.get("type") == "hello":
                    self.versions = {"elixir": event.payload["elixir"], "otp": event.payload["otp"]}
                    return self
                if isinstance(event, Text):
                    seen.append(event.text)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        """Stops the VM and everything it started in its session, and removes the folder."""
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._proc.wait()
            for pipe in (self._proc.stdin, self._proc.stdout):
                if pipe:
                    pipe.close()
            self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- requests ---------------------------------------------------------------------

    def execute(self, code: str, count: int, sink: Sink, allow_stdin: bool = False) -> Outcome:
        """Runs a cell, streaming its output to `sink`; returns how it ended.

        A KeyboardInterrupt (Jupyter's interrupt) while waiting interrupts the cell. If the
        VM dies, the outcome says so; the caller decides whether to restart.
        """
        if self._pending:
            sink.text("".join(self._pending))
            self._pending.clear()
        request = self._write_request(code)
        self._command(f"IExKernel.execute({request}, {int(count)}, {str(bool(allow_stdin)).lower()})")
        return self._await_result(request, sink)

    def interrupt(self) -> None:
        self._command("IExKernel.interrupt()")

    def request(self, kind: str, code: str, timeout: float = 10.0) -> Optional[dict]:
        """Asks the Elixir side for a reply (``complete``, ``inspect_at``, ``is_complete``)."""
        request = self._write_request(code)
        self._command(f"IExKernel.{kind}({request})")
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            for event in self._read(remaining):
                if isinstance(event, Frame) and event.payload.get("type") == "reply" and event.payload.get("id") == request:
                    return event.payload.get("content")
                self._keep_for_later(event)
        return None

    # -- internals --------------------------------------------------------------------

    def _write_request(self, code: str) -> int:
        self._next_id += 1
        # surrogateescape keeps lone surrogates as bytes: the Elixir side reports them as invalid UTF-8.
        data = code.encode("utf-8", errors="surrogatepass")
        (self._dir / f"{self._next_id}.in").write_bytes(data)
        return self._next_id

    def _command(self, line: str) -> None:
        if not self.alive:
            raise SessionError("the Elixir session is not running")
        try:
            self._proc.stdin.write(line.encode() + b"\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise SessionError(f"the Elixir session stopped reading commands ({exc})") from None

    def _read(self, timeout: float) -> list:
        """Events that arrive within `timeout` seconds (maybe none); SessionError at EOF."""
        try:
            data = self._child.read_nonblocking(READ_SIZE, timeout=timeout)
        except pexpect.TIMEOUT:
            return []
        except (pexpect.EOF, ValueError, OSError):
            raise SessionError("the Elixir session exited") from None
        return self._reader.feed(data)

    def _await_result(self, request: int, sink: Sink) -> Outcome:
        streamed: list[str] = []
        last_flush = time.monotonic()
        interrupted_at: Optional[float] = None

        def flush() -> None:
            nonlocal last_flush
            if streamed:
                sink.text("".join(streamed))
                streamed.clear()
            last_flush = time.monotonic()

        while True:
            try:
                try:
                    events = self._read(FLUSH_INTERVAL)
                except SessionError:
                    flush()
                    return Outcome.error(
                        "SessionEnded",
                        "the Elixir VM exited (System.halt/1, :init.stop/0 or a crash). "
                        "A fresh session starts for the next cell: definitions made so far are gone.",
                    )
                for position, event in enumerate(events):
                    if isinstance(event, Text):
                        streamed.append(event.text)
                        continue
                    payload = event.payload
                    kind = payload.get("type")
                    if kind == "result" and payload.get("id") == request:
                        flush()
                        # What arrived right behind the result belongs to the next cell.
                        for later in events[position + 1 :]:
                            self._keep_for_later(later)
                        return _outcome(payload)
                    if kind == "display":
                        flush()
                        sink.display(payload.get("data") or {}, payload.get("metadata") or {},
                                     payload.get("display_id"), bool(payload.get("update")))
                    elif kind == "clear":
                        flush()
                        sink.clear(bool(payload.get("wait")))
                    elif kind == "input" and payload.get("id") == request:
                        flush()
                        answer = sink.input(payload.get("prompt", ""), bool(payload.get("password")))
                        if answer is not None:  # no file means end of input
                            (self._dir / f"{request}.input").write_text(answer + "\n", encoding="utf-8")
                        self._command(f"IExKernel.input({request})")
                if time.monotonic() - last_flush >= FLUSH_INTERVAL:
                    flush()
                if interrupted_at is not None and time.monotonic() - interrupted_at > self.interrupt_grace:
                    flush()
                    return Outcome.error(
                        "Unresponsive",
                        f"the Elixir VM did not stop the cell within {self.interrupt_grace:g} s. "
                        "A fresh session starts for the next cell: definitions made so far are gone.",
                    )
            except KeyboardInterrupt:
                if interrupted_at is None:
                    interrupted_at = time.monotonic()
                    self.interrupt()

    def _keep_for_later(self, event) -> None:
        """Output that arrives between cells is shown at the start of the next one."""
        if isinstance(event, Text):
            self._pending.append(event.text)
            if sum(map(len, self._pending)) > MAX_PENDING:
                kept = "".join(self._pending)[-MAX_PENDING:]
                self._pending = ["[... earlier output between cells dropped ...]\n", kept]


def _outcome(payload: dict) -> Outcome:
    if payload.get("status") == "ok":
        return Outcome("ok", data=payload.get("data"))
    return Outcome(
        "error",
        ename=payload.get("ename", "Error"),
        evalue=payload.get("evalue", ""),
        traceback=list(payload.get("traceback") or []),
    )
