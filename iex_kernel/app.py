"""The kernel process: ipykernel's application, with the Elixir kernel in it."""

from __future__ import annotations

import ipaddress
import logging

from ipykernel.kernelapp import IPKernelApp

from .kernel import ElixirKernel

_TCP_NOTICE = "Kernel is running over TCP without encryption."


class _LoopbackNoticeFilter(logging.Filter):
    """Drops ipykernel's plain-TCP notice when the sockets listen on loopback only: there, the
    messages never leave the machine and are signed with the key of a 0600 connection file.
    On any other address the notice stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_TCP_NOTICE)


class ElixirKernelApp(IPKernelApp):
    kernel_class = ElixirKernel

    def init_sockets(self):
        if self.transport == "tcp" and _is_loopback(self.ip):
            self.log.addFilter(_LoopbackNoticeFilter())
        super().init_sockets()

    def start(self):
        super().start()
        # The main loop has stopped: a shutdown_request was handled on the control thread,
        # which still sends its last messages through IOPub. Wait for it here, while IOPub
        # runs: at exit IOPub stops first, and a control thread caught flushing then blocks
        # the process for ever (Jupyter kills it seconds later).
        if getattr(self.kernel, "shutting_down", False) and self.control_thread and self.control_thread.is_alive():
            self.control_thread.join(timeout=10)


def _is_loopback(host: str) -> bool:
    """
    >>> _is_loopback("127.0.0.1"), _is_loopback("localhost"), _is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
