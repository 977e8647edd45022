"""State carries over like one IEx session; output streams while a cell runs."""

import threading

from .conftest import wait_until


def test_bindings_persist_across_cells(kernel):
    kernel.run("total = 40")
    assert kernel.value("total + 2") == "42"


def test_aliases_imports_and_requires_persist(kernel):
    assert kernel.run("alias String, as: S\nimport Enum, only: [sum: 1]\nrequire Logger").status == "ok"
    assert kernel.value('S.upcase("ok") <> Integer.to_string(sum([1, 2]))') == '"OK3"'
    assert kernel.value('Logger.debug("not shown at :info"); :logged') == ":logged"


def test_modules_persist_and_can_be_redefined_quietly(kernel):
    kernel.run("defmodule Greeter do\n  def hi, do: :v1\nend")
    assert kernel.value("Greeter.hi()") == ":v1"
    again = kernel.run("defmodule Greeter do\n  def hi, do: :v2\nend")
    assert "redefining" not in again.stdout
    assert kernel.value("Greeter.hi()") == ":v2"


def test_iex_helpers_work(kernel, tmp_path):
    assert "def map(enumerable, fun)" in kernel.run("h Enum.map").stdout
    assert "Data type" in kernel.run("i 42").stdout
    source = tmp_path / "from_file.ex"
    source.write_text("defmodule FromFile do\n  def answer, do: 42\nend\n")
    assert kernel.run(f'c "{source}"').status == "ok"
    assert kernel.value("FromFile.answer()") == "42"


def test_last_value_is_the_execute_result_in_inspect_form(kernel):
    run = kernel.run('IO.puts("side effect")\n%{name: "Ada", tags: [:a, :b]}')
    assert run.stdout == "side effect\n"
    assert run.result == '%{name: "Ada", tags: [:a, :b]}'


def test_output_streams_while_the_cell_runs(kernel, tmp_path):
    """The cell waits for a file the test writes only after it has seen the first line."""
    go = tmp_path / "go"
    code = f'''
    IO.puts("first")
    wait = fn wait, n -> cond do
      File.exists?("{go}") -> :released
      n == 0 -> :never_released
      true -> Process.sleep(20); wait.(wait, n - 1)
    end end
    wait.(wait, 1500)
    '''

    def release(msg):
        if msg["msg_type"] == "stream" and "first" in msg["content"]["text"]:
            go.write_text("")

    run = kernel.run(code, output_hook=release)
    assert run.result == ":released"


def test_output_of_processes_after_their_cell_shows_in_the_next_cell(kernel, tmp_path):
    go, done = tmp_path / "go", tmp_path / "done"
    run = kernel.run(f'''
    spawn(fn ->
      Stream.repeatedly(fn -> Process.sleep(10) end) |> Enum.find(fn _ -> File.exists?("{go}") end)
      IO.puts("printed after its cell ended")
      File.write!("{done}", "")
    end)
    :spawned''')
    assert run.result == ":spawned"
    go.write_text("")
    assert wait_until(done.exists)
    later = kernel.run(":next")
    assert "printed after its cell ended" in later.stdout
    assert later.result == ":next"


def test_stderr_and_compiler_warnings_are_stdout_never_stderr(kernel):
    run = kernel.run('defmodule Warns do\n  def f(unused), do: 1\nend\nIO.puts(:stderr, "to stderr")')
    assert run.status == "ok"
    assert 'variable "unused" is unused' in run.stdout
    assert "to stderr" in run.stdout
    assert all(stream["name"] == "stdout" for stream in run.streams)


def test_logger_output_shows_in_the_cell(kernel):
    run = kernel.run('require Logger\nLogger.warning("disk almost full")')
    assert "disk almost full" in run.stdout


def test_input_is_asked_of_the_frontend(kernel):
    prompts = []

    def answer(msg):
        prompts.append(msg["content"]["prompt"])
        kernel.kc.input("Ada")

    run = kernel.run('IO.gets("name? ")', allow_stdin=True, stdin_hook=answer)
    assert prompts == ["name? "]
    assert run.result == '"Ada\\n"'


def test_input_without_a_frontend_that_can_answer_is_eof_not_a_hang(kernel):
    assert kernel.run('IO.gets("name? ")', allow_stdin=False, timeout=20).result == ":eof"


def test_messages_sent_to_self_stay_in_the_mailbox_between_cells(kernel):
    kernel.run("send(self(), :hello)")
    assert kernel.value("receive do msg -> msg after 1000 -> :empty end") == ":hello"



def test_a_module_definition_says_what_it_defined(kernel):
    assert kernel.value("defmodule Billing.Charger do\n  def charge, do: :ok\nend") == "defined Billing.Charger"
    assert kernel.value("defmodule A1 do\nend\ndefmodule A2 do\n  defmodule Inner, do: nil\nend") == \
        "defined A1, A2.Inner, A2"


def test_the_value_of_a_module_definition_is_still_the_tuple(kernel):
    assert kernel.value("{:module, name, bytes, _} = defmodule B1 do\nend\n{name, is_binary(bytes)}") == "{B1, true}"


def test_logger_output_lands_in_its_own_cell_every_time(kernel):
    for n in range(20):
        run = kernel.run(f'require Logger\nLogger.warning("event {n}")\n:logged')
        assert f"[warning] event {n}\n" in run.stdout, f"attempt {n}: {run.stdout!r}"


def test_log_lines_are_the_course_format_without_timestamps(kernel):
    run = kernel.run('require Logger\nLogger.error("first line\\nmore\\n** (RuntimeError) boom")')
    assert run.stdout == "[error] first line ** (RuntimeError) boom\n"
