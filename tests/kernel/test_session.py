"""IExSession on its own, without Jupyter: what no Jupyter client can send, and start-up failures."""

import pytest

from iex_kernel.session import IExSession, SessionError


class Collect:
    def __init__(self):
        self.out = []

    def text(self, text):
        self.out.append(text)

    def display(self, data, metadata, display_id, update):
        self.out.append(data)

    def clear(self, wait):
        pass

    def input(self, prompt, password):
        return None


@pytest.fixture(scope="module")
def session():
    session = IExSession().start().wait_ready()
    yield session
    session.close()


@pytest.mark.parametrize("code, offset", [('"\ud800"', 1), ('x = "ok"\n"\udcff"', 10)])
def test_a_cell_that_is_not_utf8_is_refused_with_the_offset(session, code, offset):
    outcome = session.execute(code, 1, Collect())
    assert outcome.ename == "UnicodeError"
    assert f"offset {offset}" in outcome.evalue


def test_versions_are_reported(session):
    assert session.versions["elixir"].startswith("1.")
    assert int(session.versions["otp"]) >= 25


def test_cell_files_do_not_pile_up(session):
    for n in range(5):
        session.execute(f"{n}", n, Collect())
    assert list(session._dir.iterdir()) == []


def test_a_missing_iex_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SessionError, match="`iex` is not on PATH.*apt-get install elixir"):
        IExSession().start()


def test_close_removes_the_private_folder():
    session = IExSession().start().wait_ready()
    folder = session._dir
    session.close()
    assert not folder.exists()
    assert not session.alive


def test_text_behind_a_result_in_the_same_read_goes_to_the_next_cell(tmp_path):
    """A scripted stream: one read holds the result frame and the log line printed right after it."""
    from iex_kernel.frames import FrameReader

    session = IExSession()
    session._reader, session._dir = FrameReader("n0nce"), tmp_path
    session._command = lambda line: None
    reads = iter([
        '\x02n0nce:{"type": "result", "id": 1, "status": "ok", "data": null}\x03late log line\n',
        '\x02n0nce:{"type": "result", "id": 2, "status": "ok", "data": null}\x03',
    ])
    session._read = lambda timeout: session._reader.feed(next(reads))
    first, second = Collect(), Collect()
    session.execute(":first", 1, first)
    session.execute(":second", 2, second)
    assert first.out == [] and second.out == ["late log line\n"]


def test_a_cell_reports_the_modules_it_defined_or_declared(session):
    ok = session.execute("defmodule M1.A do\n  defmodule B, do: nil\nend\nx = 1", 1, Collect())
    assert ok.status == "ok" and ok.modules == ("M1.A.B", "M1.A")
    failed = session.execute("defmodule M1.C do\n  def f, do: undefined_thing()\nend", 2, Collect())
    assert failed.status == "error" and failed.modules == ("M1.C",)
    plain = session.execute("1 + 1", 3, Collect())
    assert plain.modules == ()
