"""`python -m grader course build DIR`: an nbgrader course folder from the manifest, that plain
nbgrader commands then release and autograde, and that can be rebuilt without losing anything."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import cli, course, engine
from grader import exercise as exercises

from ..nbgrader_cli import nbgrader

REPO = Path(__file__).resolve().parents[2]
PAIR = """
[[assignment]]
id = "pair"
title = "Two exercises handed out together"
exercises = ["03_classify_failures", "08_retry_policy"]
"""


def manifest(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


def cell(notebook, grade_id):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_the_default_manifest_hands_out_every_exercise_and_certifies_with_pass_marks():
    assignments = course.load_manifest()
    handed_out = {e for a in assignments if a.pass_marks is None for e in a.exercises}
    assert handed_out == {ex.id for ex in exercises.load_all()}
    certification = [a for a in assignments if a.pass_marks]
    assert len(certification) == 1 and len(certification[0].exercises) >= 5
    sections = {exercises.load(e).section for e in certification[0].exercises}
    assert len(sections) >= 5, "a certification samples most parts of the playbook"


@pytest.mark.parametrize("text, says", [
    ("", "no [[assignment]] table"),
    ("[[assignment]]\nid = 'a'\nexercises = ['99_nothing']\n", "no such exercise 99_nothing"),
    ("[[assignment]]\nid = 'Has Spaces'\nexercises = ['03_classify_failures']\n", "id 'Has Spaces' must be lowercase"),
    ("[[assignment]]\nid = 'a'\nexercises = []\n", "`exercises` must be a non-empty list"),
    ("[[assignment]]\nid = 'a'\nexercises = ['03_classify_failures', '03_classify_failures']\n", "listed twice"),
    ("[[assignment]]\nid = 'a'\nexercises = ['03_classify_failures']\n" * 2, "two assignments have the id a"),
    ("[[assignment]]\nid = 'a'\nexercises = ['03_classify_failures']\n[assignment.pass]\noverall = 75\nper_section = 0.5\n",
     "overall must be a share of the points"),
    ("[[assignment]]\nid = 'a'\nexercises = ['03_classify_failures']\n[assignment.pass]\noverall = 0.7\n",
     "per_section must be a share of the points"),
    ("[[assignment]\n", "not valid TOML"),
])
def test_a_bad_manifest_is_refused_with_what_to_change_and_nothing_is_written(tmp_path, text, says):
    with pytest.raises(course.CourseError, match=re.escape(says)):
        course.build(tmp_path / "course", manifest(tmp_path, text))
    assert not (tmp_path / "course").exists()


def test_a_folder_that_is_not_a_course_is_never_written_into(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert cli.main(["course", "build", str(tmp_path)]) == 2
    assert "not empty and was not made by `python -m grader course build`" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_each_assignment_holds_its_notebooks_at_the_top_and_their_projects_beside_them(tmp_path):
    built = course.build(tmp_path / "course", manifest(tmp_path, PAIR))
    folder = tmp_path / "course" / "source" / "pair"
    assert [a.id for a in built] == ["pair"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "03_classify_failures", "03_classify_failures.ipynb", "08_retry_policy", "08_retry_policy.ipynb"]
    for exercise_id in ("03_classify_failures", "08_retry_policy"):
        notebook = nbformat.read(folder / f"{exercise_id}.ipynb", as_version=4)
        code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
        paths = re.findall(r'"([^"]*project[^"]*)"', code)
        assert paths and all(p.startswith(f"{exercise_id}/project") for p in paths)
        assert all((folder / p).exists() for p in paths), "every path a cell reads is in the assignment"
        assert (folder / exercise_id / "project" / "mix.exs").is_file()
    released = {p.name for p in folder.rglob("*")}
    assert "hidden" not in released and not any(p.parent.name == "solutions" for p in folder.rglob("*"))


def test_the_release_and_autograde_are_plain_nbgrader_and_a_rebuild_keeps_the_gradebook(tmp_path):
    root = tmp_path / "course"
    course.build(root, manifest(tmp_path, PAIR))
    nbgrader(root, "generate_assignment", "pair")
    release = root / "release" / "pair"
    assert (release / "03_classify_failures.ipynb").is_file() and (release / "08_retry_policy" / "project").is_dir()
    solution = (REPO / "solutions" / "03_classify_failures" / "charger.ex").read_text()
    assert solution not in "\n".join(p.read_text(errors="replace") for p in release.rglob("*") if p.is_file())

    submitted = root / "submitted" / "ada" / "pair"
    shutil.copytree(release, submitted)
    notebook = nbformat.read(submitted / "03_classify_failures.ipynb", as_version=4)
    cell(notebook, "pitfall").source = solution
    nbformat.write(notebook, submitted / "03_classify_failures.ipynb")
    nbgrader(root, "autograde", "pair", "--student", "ada")

    def scores() -> dict[str, float]:
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
            return {nb.name: nb.score for nb in gradebook.find_submission("pair", "ada").notebooks}

    graded = scores()
    assert graded["03_classify_failures"] == 11, "the fixed exercise: full marks, hidden tests included"
    assert 0 < graded["08_retry_policy"] < 0.6 * engine.max_score(exercises.load("08_retry_policy")), "the untouched starter"

    course.build(root, manifest(tmp_path, PAIR + PAIR.replace('"pair"', '"solo"').replace(', "08_retry_policy"', "")))
    assert scores() == graded, "rebuilding keeps the gradebook"
    assert (root / "submitted" / "ada" / "pair").is_dir() and (root / "autograded" / "ada" / "pair").is_dir()
    assert sorted(p.name for p in (root / "source").iterdir()) == ["pair", "solo"]


def test_zip_collect_files_each_learners_notebooks_from_their_archive(tmp_path):
    root = tmp_path / "course"
    course.build(root, manifest(tmp_path, PAIR))
    nbgrader(root, "generate_assignment", "pair")
    archive = root / "downloaded" / "pair" / "archive"
    archive.mkdir(parents=True)
    release = root / "release" / "pair"
    with zipfile.ZipFile(archive / "grace.zip", "w") as handed_in:
        for notebook in ("03_classify_failures.ipynb", "08_retry_policy.ipynb"):
            handed_in.write(release / notebook, f"pair/{notebook}")
        handed_in.writestr("pair/.ipynb_checkpoints/03_classify_failures-checkpoint.ipynb", "{}")
        handed_in.writestr("__MACOSX/pair/._08_retry_policy.ipynb", "junk")
    nbgrader(root, "zip_collect", "pair")
    submitted = root / "submitted" / "grace" / "pair"
    assert sorted(p.name for p in submitted.iterdir()) == ["03_classify_failures.ipynb", "08_retry_policy.ipynb"]
    assert (submitted / "03_classify_failures.ipynb").read_bytes() == (release / "03_classify_failures.ipynb").read_bytes()
    nbgrader(root, "autograde", "pair", "--student", "grace")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        scores = {nb.name: nb.score for nb in gradebook.find_submission("pair", "grace").notebooks}
    assert 0 < scores["03_classify_failures"] < 11, "graded from its notebook alone: the projects come from source/"


def test_the_exchange_path_release_fetch_submit_collect_works_in_a_course_folder(tmp_path):
    root, learner, exchange = tmp_path / "course", tmp_path / "ada", tmp_path / "exchange"
    learner.mkdir()
    exchange.mkdir(mode=0o777)
    course.build(root, manifest(tmp_path, PAIR))
    where = [f"--Exchange.root={exchange}", "--CourseDirectory.course_id=otp"]
    nbgrader(root, "generate_assignment", "pair")
    nbgrader(root, "release_assignment", "pair", *where)
    nbgrader(learner, "fetch_assignment", "pair", *where, force=False)
    assert (learner / "pair" / "03_classify_failures" / "project" / "mix.exs").is_file()
    nbgrader(learner, "submit", "pair", *where, force=False)
    nbgrader(root, "collect", "pair", *where, force=False)
    collected = [p.name for p in (root / "submitted").iterdir()]
    assert len(collected) == 1
    assert (root / "submitted" / collected[0] / "pair" / "08_retry_policy.ipynb").is_file()
