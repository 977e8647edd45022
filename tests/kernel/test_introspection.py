"""Completion, Shift+Tab docs and is_complete, all answered from the live session."""


def complete(kernel, code, cursor=None):
    return kernel.ask("complete", code, len(code) if cursor is None else cursor)


def inspect(kernel, code, cursor=None):
    return kernel.ask("inspect", code, len(code) if cursor is None else cursor)


def is_complete(kernel, code):
    return kernel.ask("is_complete", code)


def test_completes_module_functions_with_the_replaced_span(kernel):
    reply = complete(kernel, "x = Enum.ma")
    assert {"map", "max", "map_join"} <= set(reply["matches"])
    assert (reply["cursor_start"], reply["cursor_end"]) == (9, 11)


def test_completes_module_names_and_aliases_in_scope(kernel):
    assert "Enumerable" in complete(kernel, "Enumer")["matches"]
    kernel.run("alias Enumerable, as: Walkable")
    assert "Walkable" in complete(kernel, "Walk")["matches"]
    assert "count" in complete(kernel, "Walkable.cou")["matches"]


def test_completes_variables_in_scope_and_imports(kernel):
    kernel.run("my_variable = 1")
    assert "my_variable" in complete(kernel, "my_va")["matches"]
    assert "spawn_link" in complete(kernel, "spawn_l")["matches"]


def test_completes_erlang_modules_and_map_keys(kernel):
    assert "ets" in complete(kernel, ":et")["matches"]
    assert "lookup" in complete(kernel, ":ets.look")["matches"]
    kernel.run("conn = %{status: 200, state: :sent}")
    assert set(complete(kernel, "conn.st")["matches"]) == {"status", "state"}


def test_completes_modules_defined_in_the_notebook(kernel):
    kernel.run("defmodule Billing.Invoices do\n  def total_due(x), do: x\nend")
    assert "Invoices" in complete(kernel, "Billing.Inv")["matches"]
    assert "total_due" in complete(kernel, "Billing.Invoices.tot")["matches"]


def test_nothing_to_complete_is_an_empty_list(kernel):
    assert complete(kernel, "1 + ")["matches"] == []


def test_inspect_shows_docs_of_the_name_under_the_cursor(kernel):
    reply = inspect(kernel, "Enum.map([1], & &1)", cursor=6)
    assert reply["found"]
    assert "def map(enumerable, fun)" in reply["data"]["text/plain"]
    assert "Enumerable" in inspect(kernel, "Enum")["data"]["text/plain"]


def test_inspect_describes_a_variable(kernel):
    kernel.run('city = "Lisbon"')
    text = inspect(kernel, "city")["data"]["text/plain"]
    assert "BitString" in text and "Lisbon" in text


def test_inspect_of_nothing_known_is_not_found(kernel):
    assert inspect(kernel, "no_such_thing_here")["found"] is False


def test_is_complete_never_evaluates(kernel, tmp_path):
    marker = tmp_path / "evaluated"
    assert is_complete(kernel, f'File.write!("{marker}", "x")\ndefmodule A do')["status"] == "incomplete"
    assert is_complete(kernel, f'File.write!("{marker}", "x")')["status"] == "complete"
    assert is_complete(kernel, "x = ]")["status"] == "invalid"
    assert not marker.exists()


def test_a_reply_is_matched_to_its_own_request(kernel):
    """A kernel_info reply still queued (as `wait_for_ready` leaves one when the kernel is slow to
    start) is not taken for the answer to the completion asked after it."""
    kernel.kc.kernel_info()
    assert "map" in complete(kernel, "Enum.ma")["matches"]
