"""The engine on exercise 03: full marks for the reference fix, partial credit, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import engine, toolchain

from .conftest import sandbox_processes


def test_the_reference_solution_gets_full_marks(contained, ex03, solution):
    grade = contained(solution)
    assert grade.status == "pass"
    assert grade.score == grade.max_score == engine.max_score(ex03)
    assert all(t.status == "pass" for t in grade.tests)
    assert grade.comments == []


def test_the_starter_gets_partial_credit_well_under_the_maximum(contained, starter):
    grade = contained(starter)
    assert grade.status == "fail"
    assert 0 < grade.score <= grade.max_score / 3
    assert any(c["rule"] == "catch-all-rescue" and c["line"] for c in grade.comments)


def test_max_score_is_the_sum_of_the_tests_points(ex03):
    tests = toolchain.manifest(ex03)
    assert engine.max_score(ex03) == sum(t["points"] for t in tests)
    assert {t["visible"] for t in tests} == {True, False}
    assert all(t["points"] >= 1 for t in tests)


def test_every_expected_test_has_a_result_in_manifest_order(contained, ex03, solution):
    grade = contained(solution)
    names = [t["name"].removeprefix("test ") for t in toolchain.manifest(ex03)]
    assert [t.name for t in grade.tests] == names


def test_visible_only_runs_only_the_visible_tests(contained, ex03, solution):
    grade = contained(solution, include_hidden=False)
    assert grade.tests and all(t.visible for t in grade.tests)
    assert grade.max_score == engine.max_score(ex03, include_hidden=False) < engine.max_score(ex03)
    assert grade.score == grade.max_score


CORRECT_FIXES = {
    "with": """
defmodule Billing.Charger do
  def charge(provider, %{id: id, total_cents: amount}) do
    with {:error, reason} <- provider.charge(id, amount) do
      if reason == :timeout, do: {:error, :dependency_timeout}, else: {:error, {:dependency_failed, reason}}
    else
      {:ok, receipt} -> {:ok, receipt}
    end
  end
end
""",
    "function clauses": """
defmodule Billing.Charger do
  require Logger
  def charge(provider, %{id: id, total_cents: amount}), do: classify(provider.charge(id, amount))
  defp classify({:ok, receipt}), do: {:ok, receipt}
  defp classify({:error, :timeout}), do: {:error, :dependency_timeout}
  defp classify({:error, reason}), do: {:error, {:dependency_failed, reason}}
end
""",
    "narrow rescue kept": """
defmodule Billing.Charger do
  def charge(provider, order) do
    try do
      case provider.charge(order.id, order.total_cents) do
        {:ok, receipt} -> {:ok, receipt}
        {:error, :timeout} -> {:error, :dependency_timeout}
        {:error, reason} -> {:error, {:dependency_failed, reason}}
      end
    rescue
      e in [ErlangError] -> reraise e, __STACKTRACE__
    end
  end
end
""",
}


# Registry names, a Supervisor module and child specs, DynamicSupervisor, Agent, Task.Supervisor
# with functions given by name, ETS, :persistent_term, :atomics, a module held in a variable,
# apply/3: an honest design may use any of it, and the allowlist and its guard must let it.
CORRECT_FIXES["leans on much of OTP"] = (Path(__file__).parent / "honest_otp_fix.ex").read_text()


@pytest.mark.parametrize("fix", sorted(CORRECT_FIXES))
def test_any_correct_fix_gets_full_marks(contained, fix):
    grade = contained(CORRECT_FIXES[fix])
    assert (grade.status, grade.score) == ("pass", grade.max_score), grade.message


HALF_FIXES = {
    "classifies results but still rescues everything": """
defmodule Billing.Charger do
  def charge(provider, order) do
    try do
      case provider.charge(order.id, order.total_cents) do
        {:ok, receipt} -> {:ok, receipt}
        {:error, :timeout} -> {:error, :dependency_timeout}
        {:error, reason} -> {:error, {:dependency_failed, reason}}
      end
    rescue
      e -> {:error, {:dependency_failed, e}}
    end
  end
end
""",
    "catches exits too": """
defmodule Billing.Charger do
  def charge(provider, order) do
    case provider.charge(order.id, order.total_cents) do
      {:ok, receipt} -> {:ok, receipt}
      {:error, :timeout} -> {:error, :dependency_timeout}
      {:error, reason} -> {:error, {:dependency_failed, reason}}
    end
  catch
    :exit, reason -> {:error, {:dependency_failed, reason}}
  end
end
""",
    "only the timeout": """
defmodule Billing.Charger do
  def charge(provider, order) do
    case provider.charge(order.id, order.total_cents) do
      {:error, :timeout} -> {:error, :dependency_timeout}
      other -> other
    end
  end
end
""",
}


@pytest.mark.parametrize("fix", sorted(HALF_FIXES))
def test_half_fixes_fail_at_least_one_test(contained, fix):
    grade = contained(HALF_FIXES[fix])
    assert grade.status == "fail"
    assert 0 < grade.score < grade.max_score


def test_a_compile_error_is_an_error_pointing_at_the_learners_line(contained):
    source = "defmodule Billing.Charger do\n  def charge(provider, order) do\n    undefined_helper(provider, order)\n  end\nend\n"
    grade = contained(source)
    assert grade.status == "error" and grade.score == 0
    assert "charger.ex:3" in grade.message and "undefined_helper" in grade.message
    assert all(t.status == "fail" for t in grade.tests)


def test_a_syntax_error_names_its_line(contained):
    grade = contained("defmodule Billing.Charger do\n  def charge(a, b) do\n    a(\n  end\nend\n")
    assert grade.status == "error"
    # Elixir 1.14 says SyntaxError; 1.16 on names the delimiter that does not match.
    assert any(kind in grade.message for kind in ("SyntaxError", "MismatchedDelimiterError"))
    assert "charger.ex:4:" in grade.message


def test_what_the_code_prints_is_kept_next_to_its_test(contained, solution):
    printing = solution.replace("case provider.charge", 'IO.puts("charging #{order_id}")\n    case provider.charge')
    grade = contained(printing)
    assert grade.status == "pass"
    assert any("charging ord_1" in t.output for t in grade.tests)


def test_hidden_test_failures_never_show_hidden_source(contained, ex03, starter):
    grade = contained(starter)
    hidden_lines = [
        line.strip() for p in ex03.hidden_test_files for line in p.read_text().splitlines() if len(line.strip()) > 12
    ]
    feedback = grade.message + "".join(t.message + t.output for t in grade.tests)
    assert not [line for line in hidden_lines if line in feedback]
    assert any(not t.visible and t.status == "fail" and t.message for t in grade.tests)


def test_the_result_says_which_protections_were_active(contained, solution):
    grade = contained(solution)
    assert any("bubblewrap" in p for p in grade.sandbox["protections"])
    assert grade.sandbox["missing"] == []


@pytest.mark.slow
def test_soak_the_reference_solution_gets_full_marks_every_time(contained, solution):
    for _ in range(30):
        grade = contained(solution)
        assert (grade.status, grade.score) == ("pass", grade.max_score), grade.message


HANGS_ON_SUCCESS = '''
defmodule Billing.Charger do
  def charge(provider, %{id: id, total_cents: amount}) do
    case provider.charge(id, amount) do
      {:ok, receipt} -> receive do :never -> {:ok, receipt} end
      {:error, :timeout} -> {:error, :dependency_timeout}
      {:error, reason} -> {:error, {:dependency_failed, reason}}
    end
  end
end
'''


def test_a_test_that_hangs_is_named_by_its_own_time_limit_and_the_others_still_run(contained):
    grade = contained(HANGS_ON_SUCCESS, timeout=60, test_timeout=2, include_hidden=False)
    by_name = {t.name: t for t in grade.tests}
    hung = by_name["a successful charge returns {:ok, receipt}"]
    assert hung.status == "fail"
    assert hung.message.startswith("This test did not finish within 2 s and was stopped.")
    assert "Billing.Charger.charge/2" in hung.message, "the visible test's message shows where it waited"
    assert by_name["a refused charge is surfaced as {:error, {:dependency_failed, reason}}"].status == "pass"
    assert "whole run" not in grade.message


def test_the_whole_run_limit_names_the_test_that_was_running(contained):
    grade = contained(HANGS_ON_SUCCESS, timeout=8, test_timeout=60, include_hidden=False)
    assert "The whole run did not finish within 8 seconds" in grade.message
    assert "while the test “a successful charge returns {:ok, receipt}” was running" in grade.message
    unreported = [t for t in grade.tests if t.message.startswith("not run")]
    assert unreported and all(t.message == unreported[0].message for t in unreported)
    assert "8 seconds" not in unreported[0].message, "the reason is said once, in the message, not per test"


def test_progress_is_reported_as_the_run_goes(contained, solution):
    seen = []
    contained(solution, include_hidden=False, progress=seen.append)
    stages = [p.stage for p in seen]
    assert stages[0] == "preparing" and stages[-1] == "done"
    assert stages.index("compiling") < stages.index("running")
    assert seen[-1].passed == 4 and seen[-1].failed == 0 and seen[-1].total == 4
    assert any(p.current == "a successful charge returns {:ok, receipt}" for p in seen)


def test_stopping_a_grade_midway_leaves_nothing_behind(contained, workdir):
    def stop_when_running(progress):
        if progress.stage == "running" and progress.current:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        contained(HANGS_ON_SUCCESS, timeout=60, include_hidden=False, progress=stop_when_running)
    assert sandbox_processes(workdir) == [], "a process of the stopped run is still alive"
    assert list(workdir.iterdir()) == [], "the stopped run's workspace was not removed"


def test_a_submission_of_the_starters_exact_size_is_compiled_as_written(contained, starter):
    """The cached build was made from the starter: a file of the same size must still be recompiled
    (an answer sheet that swaps `:permanent` for `:temporary` changes content, not size)."""
    renamed = starter.replace("def charge(", "def chargX(", 1)
    assert renamed != starter and len(renamed.encode()) == len(starter.encode())
    grade = contained(renamed)
    assert grade.score < contained(starter).score, "graded the cached starter instead of the submission"
    assert any("charge/2" in t.message for t in grade.tests)
