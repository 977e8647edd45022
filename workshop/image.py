"""What the hub serves, laid out in ``HUB_DIR`` (``/srv/otp-playbook-hub`` by default).

::

    HUB_DIR/env/          the learners' Python environment: a copy of the repository's .venv
                          with the course's packages copied in, grader/hidden/ left out (but
                          a mutation exercise's fixed and sentinel implementations)
    HUB_DIR/course-root/  the learners' OTP_COURSE_ROOT: each exercise's mix project and
                          visible tests (what the check cell grades with), the self-check banks
    HUB_DIR/release/      the teaching notebooks as learners get them (answers taken out),
                          copied into each learner's home at their first start
    HUB_DIR/jupyter/      Jupyter settings: learner/ (no instructor tools) and instructor/,
                          both with the exchange's nbgrader settings
    HUB_DIR/exchange/     nbgrader's exchange (release, fetch, submit, collect)
    HUB_DIR/home/<name>/  each learner's home, theirs alone (0700)
    HUB_DIR/course/       the instructor's nbgrader course folder (python -m grader course build)
    HUB_DIR/state/        the hub's database, cookie secret, accounts and codes: root only

Everything a learner's server runs is in env/ and course-root/, so the repository itself is
closed to other Unix accounts (``close_repository``): solutions, hidden tests, the gradebook
and the certificate key stay the instructor's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from grader import exercise as exercises
from grader import learner_lab
from grader.course import build as build_course

COURSE_ID = "otp-playbook"
DEFAULT_DIR = Path("/srv/otp-playbook-hub")
PACKAGES = ("grader", "iex_kernel")
LEFT_OUT = ("hidden", "__pycache__", "_build", "deps")


class ImageError(RuntimeError):
    """The hub's files cannot be laid out; the message says what to do."""


@dataclass(frozen=True)
class Layout:
    root: Path

    env = property(lambda self: self.root / "env")
    course_root = property(lambda self: self.root / "course-root")
    release = property(lambda self: self.root / "release")
    jupyter = property(lambda self: self.root / "jupyter")
    exchange = property(lambda self: self.root / "exchange")
    homes = property(lambda self: self.root / "home")
    course = property(lambda self: self.root / "course")
    state = property(lambda self: self.root / "state")


def prepare(layout: Layout, repo: Path, manifest: Path | None = None) -> list[str]:
    """Lays out (or brings up to date) everything in ``layout``, the instructor's course from
    ``manifest`` (course.toml by default); returns what it did, in words."""
    for path, mode in ((layout.root, 0o755), (layout.homes, 0o755), (layout.state, 0o700),
                       (layout.exchange, 0o777)):
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(mode)
    done = prepare_learner_files(layout, repo)
    assignments = build_course(layout.course, manifest)
    layout.course.chmod(0o700)
    done.append(f"the instructor's nbgrader course in {layout.course}: {', '.join(a.id for a in assignments)}")
    if close_repository(repo):
        done.append(f"closed {repo} to other Unix accounts (chmod o-rwx): it holds the solutions and hidden tests")
    return done


def prepare_learner_files(layout: Layout, repo: Path) -> list[str]:
    """What every learner's server runs from: env/, course-root/, release/ and jupyter/ (also
    what a learners' container image holds, see workshop/k8s/)."""
    done = []
    layout.root.mkdir(parents=True, exist_ok=True)
    if _stale(layout.env, _env_stamp(repo)):
        build_learner_env(repo, layout.env)
        done.append(f"made the learners' Python environment in {layout.env}")
    if _stale(layout.course_root, _tree_stamp(repo / "exercises", repo / "course")):
        build_course_root(repo, layout.course_root)
        build_release(repo, layout.release)
        done.append(f"copied the exercises' projects and the released notebooks into {layout.root}")
    write_jupyter_settings(layout)
    return done


def build_learner_env(repo: Path, target: Path) -> None:
    """A copy of the repository's .venv that works on its own: the course's packages copied in
    (hidden tests left out) instead of pointing at the repository, scripts pointing at the copy."""
    source = repo / ".venv"
    if not (source / "bin" / "python").exists():
        raise ImageError(f"{source} is missing: run `make setup` first")
    new = target.with_name(target.name + ".new")
    shutil.rmtree(new, ignore_errors=True)
    shutil.copytree(source, new, symlinks=True, ignore=shutil.ignore_patterns("proxy"))
    site = next(new.glob("lib/python3*/site-packages"))
    for editable in site.glob("__editable__*"):
        editable.unlink()
    for package in PACKAGES:
        shutil.copytree(repo / package, site / package, ignore=shutil.ignore_patterns(*LEFT_OUT))
    copy_visible_implementations(site / "grader" / "hidden")
    _repoint_scripts(new / "bin", str(source), str(target))
    _use_interpreter(new, learner_interpreter(source))
    if target.exists():
        shutil.rmtree(target)
    new.rename(target)
    subprocess.run([str(target / "bin" / "python"), "-m", "iex_kernel", "install", "--sys-prefix", "--quiet"],
                   check=True, capture_output=True)
    _open_tree(target)
    (target / ".stamp").write_text(_env_stamp(repo))


def copy_visible_implementations(hidden: Path) -> None:
    """A mutation exercise's check cell runs the learner's tests against its fixed and sentinel
    implementations: those two go with the learners' environment, its mutants never do."""
    for ex in exercises.load_all():
        if ex.mutation is None:
            continue
        for name in (ex.mutation.fixed, ex.mutation.sentinel):
            target = hidden / ex.implementation_path(name).relative_to(exercises.hidden_root())
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ex.implementation_path(name), target)


def _repoint_scripts(bin_dir: Path, old: str, new: str) -> None:
    for script in bin_dir.iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        text = script.read_bytes()
        if text.startswith(b"#!"):
            script.write_bytes(text.replace(old.encode(), new.encode()))
    (bin_dir.parent / "pyvenv.cfg").write_text((bin_dir.parent / "pyvenv.cfg").read_text().replace(old, new))


def learner_interpreter(venv: Path) -> Path:
    """The Python the learners' environment runs on: the repository's own if other accounts can
    run it, else the system's Python of the same version (a Python under /root, as pyenv
    installs it, is out of their reach)."""
    own = (venv / "bin" / "python").resolve()
    if _reachable_by_others(own):
        return own
    version = subprocess.run([str(venv / "bin" / "python"), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    system = Path(f"/usr/bin/python{version}")
    if system.exists():
        return system
    raise ImageError(f"the course's Python ({own}) is in a folder other accounts cannot enter, and there is no "
                     f"{system}: apt-get install python{version}, or make .venv with a Python learners can run")


def _use_interpreter(env: Path, python: Path) -> None:
    for name in ("python", "python3", f"python{python.name.removeprefix('python')}"):
        link = env / "bin" / name
        if link.is_symlink() or not link.exists():
            link.unlink(missing_ok=True)
            link.symlink_to(python)
    config = env / "pyvenv.cfg"
    lines = [f"home = {python.parent}" if line.startswith("home =") else line
             for line in config.read_text().splitlines() if not line.startswith(("executable =", "command ="))]
    config.write_text("\n".join(lines) + "\n")


def build_course_root(repo: Path, target: Path) -> None:
    """The exercises' folders (notebooks, mix projects, visible tests, exercise.toml: never a
    solution) and the self-check banks, for the learners' check cells and quizzes."""
    new = target.with_name(target.name + ".new")
    shutil.rmtree(new, ignore_errors=True)
    shutil.copytree(repo / "exercises", new / "exercises", ignore=shutil.ignore_patterns("_build", "deps", ".*"))
    shutil.copytree(learner_lab.quiz_banks(), new / "course" / "quizzes")
    if target.exists():
        shutil.rmtree(target)
    new.rename(target)
    _open_tree(target)
    (target / ".stamp").write_text(_tree_stamp(repo / "exercises", repo / "course"))


def build_release(repo: Path, target: Path) -> None:
    """The teaching notebooks with their answers taken out, as ``make lab`` hands them out."""
    shutil.rmtree(target, ignore_errors=True)
    (target / "course").mkdir(parents=True)
    for notebook in sorted((repo / "course").glob("*.ipynb")):
        learner_lab.release_course_notebook(notebook, target / "course" / notebook.name)
    _open_tree(target)


def write_jupyter_settings(layout: Layout) -> None:
    """Each side's JUPYTER_CONFIG_DIR: the learners' without nbgrader's instructor tools, and
    both with the exchange's settings (NBGRADER_EXCHANGE_ROOT and NBGRADER_DB_URL override the
    exchange and the gradebook, for a deployment whose paths differ: see workshop/k8s/)."""
    settings = (
        "# The workshop hub's exchange (written by python -m workshop serve).\n"
        "import os\n"
        f"c.Exchange.root = os.environ.get('NBGRADER_EXCHANGE_ROOT', {str(layout.exchange)!r})\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        "if os.environ.get('NBGRADER_DB_URL'):\n"
        "    c.CourseDirectory.db_url = os.environ['NBGRADER_DB_URL']\n"
    )
    learner, instructor = layout.jupyter / "learner", layout.jupyter / "instructor"
    learner_lab.write_lab_settings(learner, keep_assignment_list=True)
    instructor.mkdir(parents=True, exist_ok=True)
    for folder in (learner, instructor):
        (folder / "nbgrader_config.py").write_text(settings)
    _open_tree(layout.jupyter)


def close_repository(repo: Path) -> bool:
    """Takes other accounts' access away from the repository, unless a folder above it already
    does; True if it changed anything."""
    if not _reachable_by_others(repo):
        return False
    repo.chmod(stat.S_IMODE(repo.stat().st_mode) & ~0o007)
    return True


def _reachable_by_others(path: Path) -> bool:
    """Other accounts can enter (or run) ``path`` and every folder above it."""
    path = path.resolve()
    return all(stat.S_IMODE(p.stat().st_mode) & 0o001 for p in (path, *path.parents))


def _open_tree(root: Path) -> None:
    """Readable by everyone, writable by root only (learners run what is in it)."""
    for folder, dirs, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                mode = stat.S_IMODE(os.stat(path).st_mode)
                os.chmod(path, 0o755 if mode & 0o111 else 0o644)


def _stale(folder: Path, stamp: str) -> bool:
    try:
        return (folder / ".stamp").read_text() != stamp
    except OSError:
        return True


def _env_stamp(repo: Path) -> str:
    installed = repo / ".venv" / ".installed"
    marker = str(installed.stat().st_mtime_ns) if installed.exists() else "none"
    return marker + ":" + _tree_stamp(*(repo / p for p in PACKAGES))


def _tree_stamp(*roots: Path) -> str:
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            parts = path.relative_to(root).parts
            if path.is_file() and not any(p in LEFT_OUT or p.startswith(".") for p in parts):
                digest.update(str(path.relative_to(root.parent)).encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
