"""The course's nbgrader settings, shared by the repository's ``nbgrader_config.py`` and by the
``nbgrader_config.py`` of every course folder ``python -m grader course build`` makes.

* Editable exercise cells show the pitfall code: in the source notebook the solution cell
  holds the starter code followed by an empty `### BEGIN SOLUTION` / `### END SOLUTION` pair,
  so ClearSolutions only swaps that empty region for the Elixir stub below. The reference
  fix lives in solutions/, never in a notebook.
* Hidden tests live in grader/hidden/ and reach only the grading sandbox: the check cell
  (`%mix_test EXERCISE_ID`) runs them when OTP_GRADER_AUTOGRADE=1, which `configure` sets for
  `nbgrader autograde` only. Feedback never contains their source.
* Under `nbgrader autograde` the learner's cells run in a jail (IEX_KERNEL_JAIL=1, see
  iex_kernel/jail.py): no repository, no solutions, no gradebook, no network, nothing left
  running. Without bubblewrap, autograde refuses to start.
* Cell timeouts fit a sandboxed `mix test` (60 s per exercise by default, see exercise.toml).
"""

import os
import sys
import warnings
from pathlib import Path

import nbgrader

from .learner_lab import QUIZ_PATH_VARIABLE, quiz_banks


def configure(c, source_directory: str = "exercises") -> None:
    """Applies the course's settings to nbgrader's config object ``c``; assignments live in
    ``source_directory``."""
    c.ClearSolutions.code_stub = {
        "python": "# YOUR CODE HERE\nraise NotImplementedError()",
        "elixir": "# Fix the code above, run this cell, then run the check cell below.",
    }

    # A course notebook handed out as an assignment (its "your turn" cells are nbgrader solution
    # cells, its checks graded cells) shows its self-check from the repository's question banks.
    os.environ.setdefault(QUIZ_PATH_VARIABLE, str(quiz_banks()))

    # In the repository each exercise folder is an assignment: `nbgrader generate_assignment
    # 03_classify_failures` releases exercises/03_classify_failures/ (its notebook and mix project,
    # never solutions/ or grader/hidden/) into release/. A course folder built by `python -m grader
    # course build` keeps nbgrader's default, source/.
    c.CourseDirectory.source_directory = source_directory

    # `nbgrader zip_collect ASSIGNMENT`: each learner hands in one archive named after them
    # (downloaded/ASSIGNMENT/archive/<learner>.zip) holding the assignment's notebooks, at its top
    # or in folders; their exercises' projects come from source/ again when autograding. Copies
    # that are not the learner's work (checkpoints, macOS's __MACOSX/._* files) are left out.
    c.FileNameCollectorPlugin.named_regexp = (
        r".*/extracted/(?P<student_id>[A-Za-z0-9][\w.@+-]*)/"
        r"(?:(?!\.ipynb_checkpoints/|__MACOSX/)[^/]+/)*(?P<file_id>[^/.][^/]*\.ipynb)$"
    )

    # A check cell runs `mix test` in a sandbox: up to 60 s per exercise, plus VM start-up.
    c.Execute.timeout = 180
    c.Execute.startup_timeout = 60
    c.Execute.interrupt_on_timeout = True

    # Feedback HTML is self-contained (nothing fetched from a CDN: see grader/templates/), ...
    c.HTMLExporter.template_name = "course_feedback"
    c.HTMLExporter.extra_template_basedirs = [
        str(Path(__file__).parent / "templates"),
        str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
    ]
    # ... and a `%mix_test` or `%quiz` cell is a magic line and its text, not Elixir with
    # an error in it.
    c.HTMLExporter.filters = {"highlight_code": "iex_kernel.lexer.Highlight2HTMLWithMagics"}

    # `nbgrader export` writes grades.csv and, beside it, grades-tests.csv: one row per learner,
    # exercise and test (visible or hidden), read from the autograded check cells.
    c.ExportApp.plugin_class = "grader.nbgrader_export.PerTestCsvExport"

    # nbgrader's gradebook code trips SQLAlchemy 2's autoflush notices on every new submission
    # ("Object of type <SubmittedAssignment> not in session ..."): harmless, and noise in the
    # instructor's terminal.
    try:
        from sqlalchemy.exc import SAWarning

        warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session", category=SAWarning)
    except ImportError:
        pass

    if len(sys.argv) > 1 and sys.argv[1] == "autograde":
        # A learner's notebook runs jailed (iex_kernel/jail.py) and its check cell grades only in the
        # sandbox, with the hidden tests. Where bubblewrap cannot run, autograde refuses to start.
        from iex_kernel import jail

        try:
            jail.bubblewrap()
        except jail.JailError as exc:
            sys.exit(f"nbgrader autograde: refused: {exc}. Autograding runs learners' code and is safe only in the sandbox.")
        os.environ["OTP_GRADER_AUTOGRADE"] = "1"
        os.environ[jail.ENV_VAR] = "1"
