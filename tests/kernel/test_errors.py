"""Errors become Jupyter errors; the session and its bindings survive them."""

import pytest


@pytest.mark.parametrize(
    "code, ename, evalue",
    [
        ("1 / 0", "ArithmeticError", "bad argument in arithmetic expression"),
        ('raise ArgumentError, "bad input"', "ArgumentError", "bad input"),
        ("Map.fetch!(%{}, :missing)", "KeyError", "key :missing not found"),
        ("throw :ball", "throw", ":ball"),
        ("exit(:boom)", "exit", ":boom"),
        ("undefined_function()", "CompileError", "undefined function undefined_function/0"),
        ("x = ]", "SyntaxError", "unexpected token"),
        ("defmodule Open do", "TokenMissingError", "missing terminator: end"),
        ('"never closed', "TokenMissingError", "missing terminator"),
    ],
)
def test_error_names_and_messages(kernel, code, ename, evalue):
    run = kernel.run(code, timeout=20)
    assert run.status == "error"
    assert run.reply["ename"] == ename
    assert evalue in run.reply["evalue"]
    [error] = run.of_type("error")
    assert error["ename"] == ename
    assert ename in error["traceback"][0]


def test_bindings_survive_an_error(kernel):
    kernel.run("kept = :still_here")
    assert kernel.run("kept = :changed\nraise \"boom\"").status == "error"
    assert kernel.value("kept") == ":still_here"


def test_stacktrace_shows_learner_frames_not_the_evaluator(kernel):
    kernel.run("defmodule Deep do\n  def a(x), do: b(x) + 1\n  def b(x), do: 10 / x\nend")
    run = kernel.run("Deep.a(0)")
    traceback = "\n".join(run.reply["traceback"])
    assert "Deep.b/1" in traceback
    assert "cell[" in traceback
    for machinery in ("erl_eval", ":elixir", "IExKernel"):
        assert machinery not in traceback


def test_syntax_error_points_at_the_line(kernel):
    run = kernel.run("a = 1\nb = 2 +* 3\nc = 3")
    assert run.reply["ename"] == "SyntaxError"
    assert ":2:" in run.reply["evalue"]
    assert any("b = 2 +* 3" in line for line in run.reply["traceback"])


def test_function_clause_error_is_blamed(kernel):
    kernel.run("defmodule Only do\n  def one(1), do: :ok\nend")
    run = kernel.run("Only.one(2)")
    assert run.reply["ename"] == "FunctionClauseError"
    assert "Only.one/1" in run.reply["evalue"]
