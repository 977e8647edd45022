"""Runs one command on untrusted code, contained, and collects what it wrote.

Layers, each independent of the others:

* bubblewrap: a read-only view of the system directories only (no /home, /root, /srv, no
  course repository, so no solutions or hidden tests outside the workspace), a private
  /tmp, new user/pid/net/ipc/uts namespaces (no network; every process dies with the run),
  and the workspace as the only writable place;
* an unprivileged user (uid/gid 65534) when the grader runs as root;
* rlimits (``prlimit``): data memory, OS processes, file size, no core dumps;
* BEAM flags set by the caller (process limit, per-process heap limit);
* a wall clock, an output cap, and the whole process group killed afterwards.

If bubblewrap cannot run here, the run still gets the other layers and the outcome says
which protections were missing.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

SANDBOX_UID = 65534
WORKSPACE = "/workspace"
KEEP_OUTPUT_BYTES = 64 * 1024
CHANNEL_MAX_BYTES = 16 * 1024 * 1024
SECRET_MAX_BYTES = 32 * 1024 * 1024
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 60.0
    memory_mb: int = 1024
    os_processes: int = 1024
    output_bytes: int = 4 * 1024 * 1024
    file_size_mb: int = 64
    tmp_mb: int = 64


@dataclass
class Outcome:
    returncode: int | None
    channel: bytes
    output: bytes
    stopped: str | None = None
    """Why the grader stopped the run: "timeout", "output", "channel" or "cancelled"; None if it ended itself."""
    protections: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    elapsed: float = 0.0


def workspace_seen_as(workspace: Path) -> str:
    """Where the code sees the workspace: /workspace in the sandbox, else where it is."""
    return WORKSPACE if bubblewrap()[0] else str(workspace)


def drop_to_uid() -> int | None:
    """The uid the untrusted code runs as: 65534 when the grader is root, else unchanged."""
    return SANDBOX_UID if os.geteuid() == 0 else None


@lru_cache(maxsize=None)
def bubblewrap() -> tuple[str | None, str]:
    """The bwrap binary if it works here, and why not otherwise."""
    import shutil

    path = shutil.which("bwrap")
    if not path:
        return None, "bubblewrap is not installed (apt-get install bubblewrap)"
    uid = drop_to_uid()
    probe = [path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all", "--die-with-parent", "true"]
    try:
        proc = subprocess.run(
            probe, capture_output=True, timeout=20, **({"user": uid, "group": uid, "extra_groups": []} if uid else {})
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"bubblewrap does not start here ({exc})"
    if proc.returncode != 0:
        return None, "bubblewrap cannot create namespaces here: " + proc.stderr.decode(errors="replace").strip()
    return path, ""


def system_mounts(executables: list[str]) -> list[str]:
    """bwrap arguments that show the system directories (and the toolchain's own prefix) read-only."""
    args: list[str] = []
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for exe in executables:
        prefix = str(Path(exe).resolve().parent.parent)
        if not any(prefix == d or prefix.startswith(d + "/") for d in SYSTEM_DIRS):
            args += ["--ro-bind", prefix, prefix]
    return args


def run(
    argv: list[str],
    workspace: Path,
    *,
    env: dict[str, str],
    limits: Limits,
    scratch: dict[str, int],
    seeds: dict[str, Path],
    executables: list[str],
    cwd: str,
    secret: bytes | Callable[[], bytes] = b"",
    on_channel: Callable[[bytes], None] | None = None,
    writable: tuple[str, ...] = (),
    cancel: threading.Event | None = None,
) -> Outcome:
    """Runs ``argv`` with ``workspace`` as ``/workspace``; the result channel's fd is in ``GRADER_CHANNEL_FD``;
    ``secret`` (the nonce and the files the run needs) can be read once from the pipe in
    ``GRADER_SECRET_FD``. It may be a function that waits for it, so the VM starts while the
    secret is still being made: the wall clock then runs from when the secret is handed over.

    In bubblewrap the workspace is read-only, but for ``scratch``: folders inside it (relative
    paths) that become fresh tmpfs of the given size in MB, so what the code writes is capped
    and never reaches the host's disk. ``seeds`` maps paths inside the sandbox to host folders
    shown there read-only (what the code copies into its scratch space to start from).
    ``writable`` lists folders of the workspace the code may change on the host (only for
    trusted runs, such as building the starter). ``cancel``, once set, stops the run.
    ``on_channel`` sees each piece of the result channel as it arrives (for progress).
    """
    if isinstance(secret, bytes) and len(secret) > SECRET_MAX_BYTES:
        raise ValueError(f"the files for the run exceed {SECRET_MAX_BYTES} bytes")
    clock = _Clock(waiting=callable(secret))
    uid = drop_to_uid()
    bwrap, why_not = bubblewrap()
    fds: list[int] = []

    def pipe() -> tuple[int, int]:
        read, write = os.pipe()
        fds.extend((read, write))
        return read, write

    try:
        channel_r, channel_w = pipe()
        output_r, output_w = pipe()
        secret_r, secret_w = pipe()
        info_r, info_w = pipe()
        writer = threading.Thread(target=_write_secret, args=(secret_w, secret, clock), daemon=True)
        inner = {**env, "GRADER_CHANNEL_FD": str(channel_w), "GRADER_SECRET_FD": str(secret_r)}
        if bwrap:
            command, popen_env, popen_cwd, protections = _in_bubblewrap(
                bwrap, argv, workspace, inner, limits, scratch, seeds, writable, executables, cwd, info_w)
            missing = []
        else:
            command, popen_env, popen_cwd = argv, {**inner, "HOME": str(workspace / "home"),
                                                   "TMPDIR": str(workspace / "tmp")}, str(workspace / cwd)
            protections = []
            missing = [why_not, "no namespace sandbox: the code can read files the grading user can read, and reach the network"]
        protections.insert(0, f"rlimits (data {limits.memory_mb} MB, {limits.os_processes} OS processes, files {limits.file_size_mb} MB)")
        if uid is not None:
            protections.append(f"unprivileged user (uid {uid})")
        elif os.geteuid() != 0:
            protections.append("grader's own unprivileged user")
        clock.begin()
        proc = subprocess.Popen(
            _rlimits(limits) + command,
            stdin=subprocess.DEVNULL,
            stdout=output_w,
            stderr=output_w,
            pass_fds=(channel_w, secret_r, info_w),
            env=popen_env,
            cwd=popen_cwd,
            start_new_session=True,
            **({"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}),
        )
        for fd in (channel_w, output_w, secret_r, info_w):
            _close(fds, fd)
        fds.remove(secret_w)  # from here on the writer closes it
        writer.start()
        info = bytearray()
        try:
            channel, output, stopped = _collect(
                proc, channel_r, output_r, info_r, info, clock, limits, on_channel, cancel
            )
        finally:
            _kill_group(proc)
            _kill_namespace(bytes(info))
    finally:
        for fd in list(fds):
            _close(fds, fd)
    return Outcome(
        returncode=proc.returncode,
        channel=channel,
        output=output,
        stopped=stopped,
        protections=protections,
        missing=missing,
        elapsed=clock.elapsed(),
    )


class _Clock:
    """A run's wall clock: from the start, or, for a run whose secret is still being made, from
    when it is handed over (with the wait itself bounded by twice the limit)."""

    def __init__(self, waiting: bool):
        self._waiting = waiting
        self._started = self._handed_over = time.monotonic()

    def begin(self) -> None:
        self._started = time.monotonic()
        if not self._waiting:
            self._handed_over = self._started

    def handed_over(self) -> None:
        self._handed_over = time.monotonic()
        self._waiting = False

    def deadline(self, wall_seconds: float) -> float:
        return self._started + 2 * wall_seconds if self._waiting else self._handed_over + wall_seconds

    def elapsed(self) -> float:
        return time.monotonic() - self._handed_over


def _write_secret(fd: int, secret, clock: _Clock) -> None:
    """Writes the secret to its pipe and closes it; a reader that stops early just ends the write."""
    try:
        with os.fdopen(fd, "wb", closefd=True) as pipe:
            data = secret() if callable(secret) else secret
            clock.handed_over()
            pipe.write(data[:SECRET_MAX_BYTES])
    except OSError:
        pass


def _close(fds: list[int], fd: int) -> None:
    """Closes ``fd`` once, whatever path the run takes."""
    if fd in fds:
        fds.remove(fd)
        os.close(fd)


def _rlimits(limits: Limits) -> list[str]:
    return [
        "prlimit",
        f"--data={limits.memory_mb * 1024 * 1024}",
        f"--nproc={limits.os_processes}",
        f"--fsize={limits.file_size_mb * 1024 * 1024}",
        "--core=0",
        "--",
    ]


def _in_bubblewrap(bwrap, argv, workspace: Path, env: dict, limits: Limits, scratch: dict[str, int],
                   seeds: dict[str, Path], writable: tuple[str, ...], executables: list[str], cwd: str, info_w: int):
    """The bwrap command line, and what it protects."""
    inside_env = {**env, "HOME": f"{WORKSPACE}/home", "TMPDIR": f"{WORKSPACE}/tmp"}
    cmd = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv", "--info-fd", str(info_w)]
    cmd += system_mounts(executables)
    cmd += ["--dev", "/dev", "--proc", "/proc", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp"]
    cmd += ["--ro-bind", str(workspace), WORKSPACE]
    for rel in writable:
        cmd += ["--bind", str(workspace / rel), f"{WORKSPACE}/{rel}"]
    for rel, size_mb in scratch.items():
        cmd += ["--size", str(size_mb << 20), "--tmpfs", f"{WORKSPACE}/{rel}"]
    for inside, host in seeds.items():
        cmd += ["--ro-bind", str(host), inside]
    for key, value in inside_env.items():
        cmd += ["--setenv", key, value]
    cmd += ["--chdir", f"{WORKSPACE}/{cwd}", "--", *argv]
    capped = ", ".join(f"{rel} ({mb} MB)" for rel, mb in scratch.items())
    protections = [f"bubblewrap (read-only system and workspace, no network, own pid namespace; writable only: "
                   f"/tmp ({limits.tmp_mb} MB){', ' + capped if capped else ''}, in memory"
                   f"{'; on disk: ' + ', '.join(writable) if writable else ''})"]
    return cmd, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, "/", protections


def _collect(proc, channel_r: int, output_r: int, info_r: int, info: bytearray, clock: _Clock, limits: Limits,
             on_channel: Callable[[bytes], None] | None, cancel: threading.Event | None):
    selector = selectors.DefaultSelector()
    selector.register(channel_r, selectors.EVENT_READ, "channel")
    selector.register(output_r, selectors.EVENT_READ, "output")
    selector.register(info_r, selectors.EVENT_READ, "info")
    channel, output = bytearray(), bytearray()
    output_total = 0
    stopped = None
    while selector.get_map() and stopped is None:
        remaining = clock.deadline(limits.wall_seconds) - time.monotonic()
        if remaining <= 0:
            stopped = "timeout"
            break
        if cancel is not None and cancel.is_set():
            stopped = "cancelled"
            break
        for key, _ in selector.select(timeout=min(remaining, 0.5)):
            data = os.read(key.fd, 65536)
            if not data:
                selector.unregister(key.fd)
            elif key.data == "info":
                info += data
            elif key.data == "channel":
                channel += data
                if len(channel) > CHANNEL_MAX_BYTES:
                    stopped = "channel"
                elif on_channel is not None:
                    on_channel(data)
            else:
                output_total += len(data)
                if len(output) < KEEP_OUTPUT_BYTES:
                    output += data[: KEEP_OUTPUT_BYTES - len(output)]
                if output_total > limits.output_bytes:
                    stopped = "output"
    selector.close()
    _read_available(info_r, info)
    if stopped is None:
        try:
            proc.wait(timeout=max(clock.deadline(limits.wall_seconds) - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            stopped = "timeout"
    return bytes(channel), bytes(output), stopped


def _read_available(fd: int, into: bytearray) -> None:
    os.set_blocking(fd, False)
    try:
        while chunk := os.read(fd, 4096):
            into += chunk
    except BlockingIOError:
        pass


def _kill_namespace(info: bytes, wait_seconds: float = 10.0) -> None:
    """Kills the sandbox's pid-1 and waits until it is dead: the kernel then ends every process
    in its pid namespace before that pid-1 finishes dying, so nothing of the run is left."""
    try:
        pid = int(json.loads(info.decode().split("}")[0] + "}")["child-pid"])
    except (ValueError, KeyError, IndexError):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.01)


def _kill_group(proc) -> None:
    """Kills everything in the run's process group (and so, with bubblewrap, its pid namespace)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
