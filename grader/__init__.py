"""Grades a learner's fix by running `mix test` on it in a sandbox."""
