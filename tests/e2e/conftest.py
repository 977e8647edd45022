"""Browser end-to-end tests: a real JupyterLab on 127.0.0.1 with a token, driven by
Playwright in Debian's chromium (never a downloaded browser)."""

from __future__ import annotations

import re
import secrets
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from grader import learner_lab
from tests.conftest import CHROMIUM

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Marks every test of this folder `e2e` (a `pytestmark` in a conftest marks nothing)."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """The learner's workspace `make lab` builds, plus a scratch folder for the tests' own notebooks."""
    root = tmp_path_factory.mktemp("lab") / "workspace"
    learner_lab.build(root)
    (root / "scratch").mkdir()
    return root


@pytest.fixture(scope="session")
def lab(lab_root):
    """JupyterLab started as `make lab` starts it; yields its base URL with the token."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    port, token = _free_port(), secrets.token_hex(16)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS.parent / "jupyterlab.log", "w")
    command, env = learner_lab.lab_command(lab_root, port=port, token=token, open_browser=False)
    server = subprocess.Popen(command + ["--LabApp.expose_app_in_browser=True"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start; see test-artifacts/jupyterlab.log")
    yield {"base": base, "token": token}
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
    context.close()


# The current notebook's kernel status as JupyterLab sees it ('idle', 'busy', ... or 'none').
_KERNEL_STATUS = """() => {
  const widget = window.jupyterapp.shell.currentWidget;
  const kernel = widget && widget.sessionContext && widget.sessionContext.session
    && widget.sessionContext.session.kernel;
  return kernel && kernel.connectionStatus === 'connected' ? kernel.status : 'none';
}"""


_ALL_CODE_CELLS_RAN = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .filter(cell => cell.model.type === 'code')
  .every(cell => cell.model.executionCount !== null)"""


class Notebook:
    """A notebook open in JupyterLab, with the actions a learner takes."""

    def __init__(self, page, lab, path: str, *, base: str | None = None):
        """Opens ``path`` in the lab of the ``lab`` fixture, or in the JupyterLab at ``base`` (a
        hub user's ``.../user/NAME``, signed in by the page's cookies)."""
        self.page = page
        # A workspace of its own: nothing from an earlier test is restored beside it.
        workspace = f"lab/workspaces/{secrets.token_hex(6)}/tree/{path}"
        page.goto(f"{base}/{workspace}" if base else f"{lab['base']}/{workspace}?token={lab['token']}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        self.wait_idle()

    def wait_idle(self, timeout: float = 120_000):
        """Waits until this notebook's own kernel is connected and idle."""
        self.page.wait_for_function(f"() => ({_KERNEL_STATUS})() === 'idle'", timeout=timeout)

    def run_all(self, timeout: float = 180_000):
        """Clears the outputs, runs every cell, and waits until each code cell has run."""
        self.select_cell(0)
        self.command("notebook:clear-all-cell-outputs")
        self.command("notebook:run-all-cells")
        self.page.wait_for_function(
            f"() => ({_ALL_CODE_CELLS_RAN})() && ({_KERNEL_STATUS})() === 'idle'", timeout=timeout)

    def command(self, command_id: str):
        self.page.evaluate(f"window.jupyterapp.commands.execute({command_id!r})")

    def set_cell_source(self, grade_id: str, source: str):
        """What a learner's paste does: the cell with this nbgrader grade_id now holds `source`."""
        self.page.evaluate(
            """([id, source]) => {
              const notebook = window.jupyterapp.shell.currentWidget.content;
              const cell = notebook.widgets.find(c => (c.model.getMetadata('nbgrader') || {}).grade_id === id);
              cell.model.sharedModel.setSource(source);
            }""",
            [grade_id, source],
        )

    def cell_index(self, grade_id: str) -> int:
        """The position of the cell with this nbgrader grade_id."""
        return self.page.evaluate(
            """id => window.jupyterapp.shell.currentWidget.content.widgets
                 .findIndex(c => (c.model.getMetadata('nbgrader') || {}).grade_id === id)""",
            grade_id,
        )

    def interrupt(self):
        """The toolbar's ■, as a learner clicks it."""
        self.page.locator(".jp-NotebookPanel:visible .jp-NotebookPanel-toolbar "
                          "[data-command='notebook:interrupt-kernel']").click()

    def restart_kernel(self):
        """Kernel ▸ Restart Kernel…, confirmed in its dialog; returns once the kernel is idle."""
        self.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:restart-kernel'); }")
        self.page.locator(".jp-Dialog .jp-mod-accept").click()
        self.page.wait_for_timeout(500)
        self.wait_idle()

    def cells(self):
        return self.page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell")

    def select_cell(self, index: int):
        self.cells().nth(index).locator(".jp-InputPrompt").click()

    def run_cell(self, index: int):
        """Clicks into the cell and presses Shift+Enter, as a learner does."""
        self.cells().nth(index).locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")

    def run_cell_to_end(self, index: int, timeout: float = 120_000) -> int:
        """Runs the cell as a learner does and waits for its own reply: returns its execution count.

        Waiting for 'idle' alone races the request (the kernel is still idle from before the cell
        was sent), so the count is cleared first and the reply is what sets it again."""
        self.page.evaluate(
            "i => { window.jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount = null; }", index)
        self.run_cell(index)
        self.page.wait_for_function(
            f"""i => window.jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount !== null
                   && ({_KERNEL_STATUS})() === 'idle'""",
            arg=index,
            timeout=timeout,
        )
        return self.page.evaluate(
            "i => window.jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount", index)

    def output_text(self, index: int) -> str:
        return self.cells().nth(index).locator(".jp-OutputArea").inner_text()

    def screenshot(self, name: str):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def write_notebook(root: Path, relative: str, sources: list[str]) -> str:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "elixir", "display_name": "Elixir (IEx)", "language": "elixir"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, root / relative)
    return relative
