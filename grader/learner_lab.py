"""The learner's lab: a workspace of their own, made from the released course, and the JupyterLab
that opens on it (``make lab``).

Layout of a workspace (ignored by git)::

    workspace/
      course/*.ipynb        the teaching notebooks, each "your turn" cell with its answer taken out
      exercises/<id>/       each exercise as nbgrader releases it: the notebook with the pitfall
                            code and no solution region, its mix project with the visible tests
      .jupyter/             this lab's settings: nbgrader's instructor tools are switched off

No solutions, no hidden tests, no grader: the file browser cannot reach them, because the lab's
root is the workspace. The check cell still grades against the course repository's own copy
of each exercise, which a learner's edits in the workspace never touch.

Building is safe to repeat: a file already in the workspace is the learner's work and is
never replaced; what the course added since is copied in, and what was deleted comes back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearSolutions

from iex_kernel.quiz import PATH_VARIABLE as QUIZ_PATH_VARIABLE

from .exercise import repo_root

YOUR_TURN_STUB = "# Your turn: write it here, run this cell, then run the check cell below."

START_PAGE = "course/00_start_here.ipynb"
NBGRADER_LAB_EXTENSION = "@jupyter/nbgrader"
NBGRADER_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
LEARNER_SERVER_EXTENSIONS = ("nbgrader.server_extensions.validate_assignment",
                             "nbgrader.server_extensions.assignment_list")
INSTRUCTOR_PLUGINS = ("formgrader", "create-assignment", "course-list")


class WorkspaceError(Exception):
    """The workspace cannot be made (the release failed, the folder is not writable...)."""


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.added)} files added, {len(self.kept)} of your files kept as they are"


def build(workspace: Path, root: Path | None = None) -> BuildReport:
    """Makes or completes the workspace from the course in ``root`` (the repository)."""
    root = root or repo_root()
    report = BuildReport()
    workspace.mkdir(parents=True, exist_ok=True)
    _copy_missing(root / "course", workspace / "course", report, only=("*.ipynb",), copy=release_course_notebook)
    with tempfile.TemporaryDirectory(prefix="otp-release-") as tmp:
        release = release_exercises(root, Path(tmp))
        _copy_missing(release, workspace / "exercises", report)
    write_lab_settings(workspace / ".jupyter")
    return report


def release_exercises(root: Path, scratch: Path) -> Path:
    """Every exercise as nbgrader's ``generate_assignment`` releases it, under ``scratch/release``."""
    (scratch / "exercises").symlink_to(root / "exercises", target_is_directory=True)
    shutil.copy(root / "nbgrader_config.py", scratch / "nbgrader_config.py")
    command = [sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--no-db", "--force"]
    result = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
    if result.returncode != 0:
        raise WorkspaceError("nbgrader could not release the exercises:\n" + (result.stderr or result.stdout)[-3000:])
    return scratch / "release"


def quiz_banks() -> Path:
    """The self-checks' question banks: in the course repository, never in a workspace."""
    return repo_root() / "course" / "quizzes"


def release_course_notebook(source: Path, destination: Path) -> None:
    """A course notebook as the learner gets it: the answer in each "your turn" cell swapped for
    a stub by nbgrader's own ClearSolutions, and the outputs of that cell and its check cleared."""
    notebook = nbformat.read(source, as_version=4)
    ClearSolutions(code_stub={"elixir": YOUR_TURN_STUB}, enforce_metadata=True).preprocess(notebook, {})
    for cell in notebook.cells:
        marks = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (marks.get("solution") or marks.get("grade")):
            cell.outputs, cell.execution_count = [], None
    nbformat.write(notebook, destination)


def _copy_missing(source: Path, target: Path, report: BuildReport, only: tuple[str, ...] = ("*",),
                  copy=shutil.copyfile) -> None:
    files = sorted({path for pattern in only for path in source.rglob(pattern) if path.is_file()})
    for path in files:
        relative = path.relative_to(source)
        if any(part.startswith(".") or part in ("_build", "deps") for part in relative.parts):
            continue
        destination = target / relative
        shown = str(destination.relative_to(target.parent))
        if destination.exists():
            report.kept.append(shown)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        copy(path, destination)
        report.added.append(shown)


def write_lab_settings(config_dir: Path, keep_assignment_list: bool = False) -> None:
    """JupyterLab settings of the learner's lab (its JUPYTER_CONFIG_DIR): no nbgrader menus,
    no Create Assignment sidebar, no formgrader. ``keep_assignment_list`` keeps nbgrader's
    Assignments panel (fetch, validate, submit), for a learner on the workshop hub."""
    labconfig = config_dir / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    if keep_assignment_list:
        disabled = {f"{NBGRADER_LAB_EXTENSION}:{plugin}": True for plugin in INSTRUCTOR_PLUGINS}
        server_off = [name for name in NBGRADER_SERVER_EXTENSIONS if name not in LEARNER_SERVER_EXTENSIONS]
    else:
        disabled, server_off = {NBGRADER_LAB_EXTENSION: True}, NBGRADER_SERVER_EXTENSIONS
    (labconfig / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}, indent=2) + "\n")
    server = {"ServerApp": {"jpserver_extensions": {name: False for name in server_off}}}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(server, indent=2) + "\n")


def lab_command(workspace: Path, *, port: int | None = None, token: str | None = None,
                open_browser: bool = True) -> tuple[list[str], dict[str, str]]:
    """The command and environment that start JupyterLab on the learner's workspace."""
    command = [
        sys.executable, "-m", "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={workspace.resolve()}",
        f"--LabApp.default_url=/lab/tree/{START_PAGE}",
        f"--ServerApp.open_browser={open_browser}",
    ]
    if port is not None:
        command.append(f"--ServerApp.port={port}")
    if token is not None:
        command.append(f"--IdentityProvider.token={token}")
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str((workspace / ".jupyter").resolve()),
           # The self-checks' question banks stay in the course repository, out of the file browser's reach.
           QUIZ_PATH_VARIABLE: str(quiz_banks())}
    return command, env
