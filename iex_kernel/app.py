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

    def close(self):
        # After a shutdown_request, ipykernel's close() stops IOPub and only then joins the
        # control thread, which may still be flushing its last messages to IOPub: it then
        # blocks for ever and the kernel never exits (Jupyter kills it seconds later). Let
        # the control thread finish first.
        if getattr(self.kernel, "shutting_down", False) and self.control_thread and self.control_thread.is_alive():
            self.control_thread.join(timeout=10)
        super().close()


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
