"""nbgrader settings for the course (read by every `nbgrader` command run from the repo root):
each exercise folder under exercises/ is an assignment. What the settings do, and why, is in
grader/nbgrader_settings.py; a course folder made by `python -m grader course build` uses them too.
"""

from grader.nbgrader_settings import configure

configure(get_config(), source_directory="exercises")  # noqa: F821 (get_config is nbgrader's)
