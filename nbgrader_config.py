"""nbgrader settings for the course (read by every `nbgrader` command run from the repo root).

* Editable exercise cells show the pitfall code: in the source notebook the solution cell
  holds the starter code followed by an empty `### BEGIN SOLUTION` / `### END SOLUTION` pair,
  so ClearSolutions only swaps that empty region for the Elixir stub below. The reference
  fix lives in solutions/, never in a notebook.
* Hidden tests live in grader/hidden/ and reach only the grading sandbox: the check cell
  (`%mix_test EXERCISE_ID`) runs them when OTP_GRADER_AUTOGRADE=1, which this file sets for
  `nbgrader autograde` only. Feedback never contains their source.
* Cell timeouts fit a sandboxed `mix test` (60 s per exercise by default, see exercise.toml).
"""

import os
import sys

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
    "elixir": "# Fix the code above, run this cell, then run the check cell below.",
}

# Each exercise folder is an assignment: `nbgrader generate_assignment 03_classify_failures`
# releases exercises/03_classify_failures/ (its notebook and mix project, never solutions/ or
# grader/hidden/) into release/.
c.CourseDirectory.source_directory = "exercises"

# A check cell runs `mix test` in a sandbox: up to 60 s per exercise, plus VM start-up.
c.Execute.timeout = 180
c.Execute.startup_timeout = 60
c.Execute.interrupt_on_timeout = True

if len(sys.argv) > 1 and sys.argv[1] == "autograde":
    os.environ["OTP_GRADER_AUTOGRADE"] = "1"
