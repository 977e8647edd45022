"""The Jupyter side: ipykernel's Kernel, translating Jupyter messages to an IExSession."""

from __future__ import annotations

import fnmatch
import re
from typing import Optional

import comm
from ipykernel.comm import Comm, CommManager
from ipykernel.kernelbase import Kernel
from IPython.core.error import StdinNotImplementedError

from . import __version__, magics
from .session import IExSession, Outcome, SessionError, take_prestarted

# The name under the cursor, for Shift+Tab: the cursor may sit anywhere inside it.
_NAME_TAIL = re.compile(r"[\w.?!]*")


_INTERRUPTED = "the cell was stopped; everything defined before it is kept"
_INTERRUPTED_MAGIC = "stopped before it finished: nothing was graded. Run the cell again when you are ready."

class CellOutput:
    """Sends what a running cell produces to the notebook (the session's Sink).

    It keeps what the cell shows, so an input box left unanswered by an interrupt can be
    removed: JupyterLab drops that box only on Enter or on a ``clear_output``, after which
    the cell's output is shown again.
    """

    def __init__(self, kernel: "ElixirKernel", silent: bool, allow_stdin: bool):
        self.kernel = kernel
        self.silent = silent
        self.allow_stdin = allow_stdin
        self._shown: list[tuple[str, dict]] = []

    def text(self, text: str) -> None:
        if not self.silent and text:
            self._send("stream", {"name": "stdout", "text": text})

    def clear(self, wait: bool) -> None:
        if not self.silent:
            self.kernel.send_response(self.kernel.iopub_socket, "clear_output", {"wait": wait})
            self._shown.clear()

    def display(self, data: dict, metadata: dict, display_id: Optional[str], update: bool) -> None:
        if self.silent:
            return
        content = {"data": data, "metadata": metadata, "transient": {"display_id": display_id} if display_id else {}}
        if update:
            self.kernel.send_response(self.kernel.iopub_socket, "update_display_data", content)
            self._shown = [(kind, content if kind == "display_data" and shown["transient"].get("display_id") == display_id
                            else shown) for kind, shown in self._shown]
        else:
            self._send("display_data", content)

    def input(self, prompt: str, password: bool) -> Optional[str]:
        if not self.allow_stdin:
            return None
        try:
            return self.kernel.getpass(prompt) if password else self.kernel.raw_input(prompt)
        except (EOFError, StdinNotImplementedError):
            return None
        except KeyboardInterrupt:
            self._remove_input_box(prompt)
            raise

    def _send(self, kind: str, content: dict) -> None:
        self.kernel.send_response(self.kernel.iopub_socket, kind, content)
        self._shown.append((kind, content))

    def _remove_input_box(self, prompt: str) -> None:
        shown = list(self._shown)
        self.kernel.send_response(self.kernel.iopub_socket, "clear_output", {"wait": False})
        for kind, content in shown:
            self.kernel.send_response(self.kernel.iopub_socket, kind, content)
        self.kernel.send_response(self.kernel.iopub_socket, "stream", {"name": "stdout", "text": prompt + "\n"})


class CollectedOutput:
    """Collects what a run produces as nbformat output dicts, for magics that re-run code."""

    def __init__(self):
        self.outputs: list[dict] = []

    def text(self, text: str) -> None:
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream":
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": "stdout", "text": text})

    def display(self, data: dict, metadata: dict, display_id: Optional[str], update: bool) -> None:
        self.outputs.append({"output_type": "display_data", "data": data, "metadata": metadata})

    def clear(self, wait: bool) -> None:
        self.outputs.clear()

    def input(self, prompt: str, password: bool) -> Optional[str]:
        return None

    def finish(self, outcome: Outcome) -> list[dict]:
        if outcome.status == "error":
            self.outputs.append({"output_type": "error", "ename": outcome.ename, "evalue": outcome.evalue,
                                 "traceback": outcome.traceback})
        elif outcome.data:
            self.outputs.append({"output_type": "execute_result", "data": outcome.data, "metadata": {},
                                 "execution_count": None})
        return self.outputs


class ElixirKernel(Kernel):
    implementation = "iex_kernel"
    implementation_version = __version__
    language = "elixir"
    help_links = [
        {"text": "Elixir documentation", "url": "https://hexdocs.pm/elixir/"},
        {"text": "Erlang/OTP design principles", "url": "https://www.erlang.org/doc/design_principles/des_princ.html"},
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._session: IExSession = take_prestarted() or IExSession().start()
        self.shutting_down = False
        self._history: list[tuple[int, int, str, str]] = []  # session, line, input, output
        self._enable_comms()
        self._executed: list[magics.ExecutedCell] = []

    def _enable_comms(self) -> None:
        """Comms (what ipywidgets talk over), wired as ipykernel's own IPython kernel does."""
        self.comm_manager = CommManager(parent=self, kernel=self)
        comm.create_comm = Comm
        comm.get_comm_manager = lambda: self.comm_manager
        for msg_type in ("comm_open", "comm_msg", "comm_close"):
            self.shell_handlers[msg_type] = getattr(self.comm_manager, msg_type)

    # -- the session ------------------------------------------------------------------

    def _ready_session(self) -> IExSession:
        """The session once IEx has said hello (any thread may ask: see IExSession)."""
        return self._session.wait_ready()

    def _restart_session(self) -> None:
        old = self._session
        old.close()
        if not self.shutting_down:
            self._session = IExSession().start()

    @property
    def language_info(self) -> dict:
        try:
            version = self._ready_session().versions.get("elixir", "")
        except SessionError:
            version = ""
        return {
            "name": "elixir",
            "version": version,
            "mimetype": "text/x-elixir",
            "file_extension": ".ex",
            "pygments_lexer": "elixir",
            "codemirror_mode": "elixir",
        }

    @property
    def banner(self) -> str:
        try:
            versions = self._ready_session().versions
            return f"Elixir {versions['elixir']} (Erlang/OTP {versions['otp']}) through IEx; iex_kernel {__version__}"
        except SessionError as exc:
            return f"iex_kernel {__version__}: the Elixir session could not start.\n{exc}"

    # -- execute ----------------------------------------------------------------------

    async def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False,
                         *, cell_meta=None, cell_id=None):
        self._allow_stdin = allow_stdin  # read by ipykernel's raw_input
        output = CellOutput(self, silent, allow_stdin)
        call = None
        try:
            call = magics.parse(code)
            if call is not None:
                outcome = self._run_magic(call, output)
            else:
                outcome = self._ready_session().execute(code, self.execution_count, output, allow_stdin)
                self._executed.append(magics.ExecutedCell(self.execution_count, code, outcome.status == "ok",
                                                          outcome.modules, cell_id))
        except magics.MagicError as exc:
            outcome = Outcome.error("MagicError", str(exc))
        except SessionError as exc:
            outcome = Outcome.error("SessionError", str(exc))
        except KeyboardInterrupt:
            # Stop pressed outside a cell's own wait (a check cell, or while IEx starts): the
            # work was stopped where it stood, and the cell must still get its reply.
            outcome = Outcome.error("Interrupted", _INTERRUPTED_MAGIC if call is not None else _INTERRUPTED)

        if outcome.ename in ("SessionEnded", "Unresponsive"):
            self._restart_session()
        if store_history:
            shown = (outcome.data or {}).get("text/plain", "") if outcome.status == "ok" else outcome.evalue
            self._history.append((0, self.execution_count, code, shown))

        if outcome.status == "error":
            if not silent:
                self.send_response(self.iopub_socket, "error",
                                   {"ename": outcome.ename, "evalue": outcome.evalue, "traceback": outcome.traceback})
            return {"status": "error", "execution_count": self.execution_count, "ename": outcome.ename,
                    "evalue": outcome.evalue, "traceback": outcome.traceback}

        if outcome.data and not silent:
            self.send_response(self.iopub_socket, "execute_result",
                               {"execution_count": self.execution_count, "data": outcome.data, "metadata": {}})
        return {"status": "ok", "execution_count": self.execution_count, "payload": [],
                "user_expressions": self._user_expressions(user_expressions or {})}

    def _run_magic(self, call: magics.MagicCall, output: CellOutput) -> Outcome:
        magic = magics.find(call.name)
        context = magics.MagicContext(
            name=call.name, args=call.args, body=call.body, history=tuple(self._executed),
            display=lambda data, display_id=None, update=False: output.display(dict(data), {}, display_id, update),
            stream=output.text, run=self._run_collected, count=self.execution_count,
        )
        try:
            result = magic(context)
        except magics.MagicError:
            raise
        except Exception as exc:  # a bug in a magic must not take the kernel down
            return Outcome.error(type(exc).__name__, f"%{call.name} failed: {exc}")
        return Outcome("ok", data=dict(result.data) if result else None)

    def _run_collected(self, code: str) -> list[dict]:
        collected = CollectedOutput()
        try:
            outcome = self._ready_session().execute(code, self.execution_count, collected)
        except SessionError as exc:
            outcome = Outcome.error("SessionError", str(exc))
        return collected.finish(outcome)

    def _user_expressions(self, expressions: dict) -> dict:
        results = {}
        for name, expression in expressions.items():
            outcome = self._ready_session().execute(expression, self.execution_count, CellOutput(self, True, False))
            if outcome.status == "ok":
                results[name] = {"status": "ok", "data": outcome.data or {}, "metadata": {}}
            else:
                results[name] = {"status": "error", "ename": outcome.ename, "evalue": outcome.evalue,
                                 "traceback": outcome.traceback}
        return results

    # -- completion, inspection, is_complete ------------------------------------------

    async def do_complete(self, code, cursor_pos):
        cursor_pos = len(code) if cursor_pos is None else cursor_pos
        reply = self._ask("complete", code[:cursor_pos]) or {}
        matches = reply.get("matches", [])
        start = cursor_pos - int(reply.get("replace", 0))
        types = [{"start": start, "end": cursor_pos, "text": m, "type": t}
                 for m, t in zip(matches, reply.get("types", []))]
        return {"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": cursor_pos,
                "metadata": {"_jupyter_types_experimental": types}}

    async def do_inspect(self, code, cursor_pos, detail_level=0, omit_sections=()):
        cursor_pos = len(code) if cursor_pos is None else cursor_pos
        end = cursor_pos + _NAME_TAIL.match(code, cursor_pos).end() - cursor_pos
        reply = self._ask("inspect_at", code[:end]) or {}
        return {"status": "ok", "found": bool(reply.get("found")), "data": reply.get("data", {}), "metadata": {}}

    async def do_is_complete(self, code):
        reply = self._ask("is_complete", code)
        if not reply:
            return {"status": "unknown"}
        return {key: reply[key] for key in ("status", "indent") if key in reply}

    def _ask(self, kind: str, code: str) -> Optional[dict]:
        try:
            return self._ready_session().request(kind, code)
        except SessionError:
            return None

    # -- history, shutdown ------------------------------------------------------------

    async def do_history(self, hist_access_type, output, raw, session=None, start=None, stop=None, n=None,
                         pattern=None, unique=False):
        history = self._history
        if hist_access_type == "tail":
            history = history[-n:] if n else history
        elif hist_access_type == "range":
            history = [h for h in history if (start is None or h[1] >= start) and (stop is None or h[1] < stop)]
        elif hist_access_type == "search":
            history = [h for h in history if fnmatch.fnmatch(h[2], pattern or "*")]
            if unique:
                seen: set[str] = set()
                history = [h for h in history if not (h[2] in seen or seen.add(h[2]))]
            history = history[-n:] if n else history
        entries = [(s, n, (code, out) if output else code) for s, n, code, out in history]
        return {"status": "ok", "history": entries}

    async def do_shutdown(self, restart):
        # Jupyter restarts a kernel by starting a new process: this one only stops its VM.
        self.shutting_down = True
        self._session.close()
        return {"status": "ok", "restart": restart}
