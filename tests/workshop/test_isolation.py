"""One learner cannot read another's work, nor the instructor's solutions, hidden tests,
gradebook or the hub's accounts: each learner's server runs as a Unix account of their own."""

from __future__ import annotations

import subprocess

import pytest

from grader import exercise

from .conftest import EXERCISE, INSTRUCTOR, INSTRUCTOR_CODE, LEARNER_CODE, LEARNERS, PASSWORDS, REPO, _login_error


@pytest.fixture(scope="module")
def learners(hub):
    return {name: hub.start_server(name, PASSWORDS[name]) for name in LEARNERS}


def run_as(name: str, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), user=name, group="otp-learners", extra_groups=[], capture_output=True,
                          text=True, timeout=30)


def test_each_learner_server_runs_as_their_own_account_in_their_own_home(hub, learners):
    for name in LEARNERS:
        home = hub.home(name)
        assert home.stat().st_mode & 0o777 == 0o700
        owner = subprocess.run(["stat", "-c", "%U", str(home / "course" / "00_start_here.ipynb")],
                               capture_output=True, text=True).stdout.strip()
        assert owner == name
        servers = subprocess.run(["pgrep", "-u", name, "-f", "jupyterhub.singleuser"], capture_output=True, text=True)
        assert servers.stdout.split(), f"no server runs as {name}"


def test_a_learner_can_write_their_own_files(hub, learners):
    mine = hub.home("ada") / "notes.txt"
    assert run_as("ada", "sh", "-c", f"echo mine > {mine}").returncode == 0
    assert run_as("ada", "cat", str(mine)).stdout == "mine\n"


def test_learner_a_cannot_read_or_list_learner_b_files(hub, learners):
    theirs = hub.home("bob") / "course" / "00_start_here.ipynb"
    assert theirs.exists()
    for command in (["cat", str(theirs)], ["ls", str(hub.home("bob"))], ["touch", str(hub.home("bob") / "x")]):
        result = run_as("ada", *command)
        assert result.returncode != 0 and "Permission denied" in result.stderr, command


def test_a_learner_cannot_reach_another_home_through_their_own_jupyter_server(hub, learners):
    session = learners["ada"]
    api = f"{hub.url}/user/ada/api/contents"
    assert session.get(f"{api}/course", timeout=30).status_code == 200
    for path in ("..%2Fbob", "../bob/course", f"{hub.home('bob')}"):
        assert session.get(f"{api}/{path}", timeout=30).status_code in (403, 404), path


def test_a_learner_cannot_read_solutions_hidden_tests_gradebook_or_accounts(hub, learners):
    secrets = [REPO / "solutions" / EXERCISE, REPO / "grader" / "hidden" / EXERCISE, REPO / "course.toml",
               hub.root / "course", hub.root / "state" / "accounts.json", hub.root / "state" / "codes.json"]
    if (REPO / ".git").exists():  # a clone's history holds every solution (a copied checkout has none)
        secrets.append(REPO / ".git")
    for path in secrets:
        assert path.exists(), path
        result = run_as("ada", "ls", "-la", str(path))
        assert result.returncode != 0 and "Permission denied" in result.stderr, path


def test_the_learners_environment_has_the_grader_without_its_hidden_tests(hub, learners):
    site = next((hub.root / "env").glob("lib/python3*/site-packages"))
    assert (site / "grader" / "engine.py").exists()
    copied = {path.relative_to(site / "grader" / "hidden").as_posix() for path in (site / "grader" / "hidden").rglob("*")
              if path.is_file()}
    # Only what a mutation exercise's visible check runs: its fixed and sentinel implementations.
    visible = {f"{ex.id}/implementations/{name}.ex" for ex in exercise.load_all() if ex.mutation
               for name in (ex.mutation.fixed, ex.mutation.sentinel)}
    assert copied == visible
    assert not list(site.glob("__editable__*")), "the environment still points into the repository"
    imported = run_as("ada", str(hub.root / "env" / "bin" / "python"), "-c",
                      "import grader.engine, iex_kernel.kernel, grader.exercise as e; print(e.repo_root())")
    assert imported.returncode == 0, imported.stderr


def test_the_code_alone_signs_in_nobody_and_a_bad_code_signs_up_nobody(hub, learners):
    as_someone_else = hub.sign_in("bob", PASSWORDS["ada"], LEARNER_CODE)
    assert as_someone_else.status_code == 403
    assert "wrong password" in _login_error(as_someone_else)
    bad_code = hub.sign_in("carol", "carol-secret", "not-the-code")
    assert bad_code.status_code == 403 and "not this room's" in _login_error(bad_code)
    no_code = hub.sign_in("dave", "dave-secret")
    assert no_code.status_code == 403 and "sign-up code" in _login_error(no_code)


def test_machine_accounts_and_instructor_names_cannot_be_taken_with_the_learner_code(hub, learners):
    root = hub.sign_in("root", "root-secret-1", LEARNER_CODE)
    assert root.status_code == 403 and "this machine's own accounts" in _login_error(root)
    instructor = hub.sign_in(INSTRUCTOR, PASSWORDS[INSTRUCTOR], LEARNER_CODE)
    assert instructor.status_code == 403 and "not this room's" in _login_error(instructor)
    assert hub.sign_in(INSTRUCTOR, PASSWORDS[INSTRUCTOR], INSTRUCTOR_CODE).status_code == 302
