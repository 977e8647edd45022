"""A Jupyter kernel for Elixir that drives an `iex` session (see kernel.py and session.py)."""

__version__ = "0.1.0"
