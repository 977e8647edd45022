"""Interrupts and crashes cost only the running cell; a halted VM is replaced cleanly."""

import time

import pytest

from .conftest import pid_alive, wait_until

# The bound for an interrupt. The measured figure (tens of ms) is in bench/.
INTERRUPT_BOUND = 2.0


def run_then_interrupt(kernel, code, started_marker="started"):
    """Runs `code`, interrupts it once it has printed `started_marker`; returns (run, seconds)."""
    state = {}

    def hook(msg):
        if msg["msg_type"] == "stream" and started_marker in msg["content"]["text"] and "at" not in state:
            state["at"] = time.monotonic()
            kernel.km.interrupt_kernel()

    run = kernel.run(code, output_hook=hook, timeout=30)
    return run, time.monotonic() - state["at"]


@pytest.mark.parametrize(
    "code",
    [
        'IO.puts("started"); Process.sleep(:infinity)',
        'IO.puts("started"); Stream.iterate(0, &(&1 + 1)) |> Stream.run()',
        'IO.puts("started"); receive do :never -> :ok end',
    ],
    ids=["sleep", "busy-loop", "receive"],
)
def test_interrupt_stops_the_cell_and_keeps_everything(fresh_kernel, code):
    fresh_kernel.run("kept = 42\ndefmodule KeptModule do\n  def f, do: :defined\nend")
    run, seconds = run_then_interrupt(fresh_kernel, code)
    assert run.status == "error"
    assert run.reply["ename"] == "Interrupted"
    assert seconds < INTERRUPT_BOUND
    assert fresh_kernel.value("{kept, KeptModule.f()}") == "{42, :defined}"


def test_interrupt_while_waiting_for_input(fresh_kernel):
    fresh_kernel.run("kept = :yes")

    def interrupt_instead_of_answering(msg):
        fresh_kernel.km.interrupt_kernel()

    run = fresh_kernel.run('IO.gets("name? ")', allow_stdin=True, stdin_hook=interrupt_instead_of_answering)
    assert run.reply["ename"] == "Interrupted"
    assert fresh_kernel.value("kept") == ":yes"


def test_a_crashing_linked_process_ends_the_cell_but_keeps_bindings(fresh_kernel):
    fresh_kernel.run("kept = 1")
    run = fresh_kernel.run('spawn_link(fn -> raise "linked crash" end)\nProcess.sleep(:infinity)', timeout=30)
    assert run.status == "error"
    assert run.reply["ename"] == "EXIT"
    assert "linked crash" in run.reply["evalue"]
    assert fresh_kernel.value("kept + 1") == "2"


def test_a_linked_crash_between_cells_is_reported_and_keeps_bindings(fresh_kernel, tmp_path):
    go, dead = tmp_path / "go", tmp_path / "dead"
    fresh_kernel.run(f'''
    kept = :safe
    evaluator = self()
    pid = spawn_link(fn ->
      Stream.repeatedly(fn -> Process.sleep(10) end) |> Enum.find(fn _ -> File.exists?("{go}") end)
      raise "crash while idle"
    end)
    spawn(fn ->
      ref = Process.monitor(evaluator)
      receive do {{:DOWN, ^ref, _, _, _}} -> File.write!("{dead}", "") end
    end)
    :ok''')
    go.write_text("")
    assert wait_until(dead.exists)
    run = fresh_kernel.run("kept")
    assert "evaluator process exited" in run.stdout
    assert run.result == ":safe"


def test_system_halt_gives_a_clear_error_and_a_fresh_session(fresh_kernel):
    fresh_kernel.run("kept = 1")
    old_vm = fresh_kernel.beam_pid()
    run = fresh_kernel.run("System.halt()")
    assert run.status == "error"
    assert run.reply["ename"] == "SessionEnded"
    assert wait_until(lambda: not pid_alive(old_vm))
    assert fresh_kernel.value("1 + 1") == "2"
    assert fresh_kernel.beam_pid() != old_vm
    assert fresh_kernel.run("kept").reply["ename"] == "CompileError"


def test_kernel_restart_replaces_the_vm(fresh_kernel):
    old_vm = fresh_kernel.beam_pid()
    fresh_kernel.km.restart_kernel(now=False)
    fresh_kernel.kc.wait_for_ready(timeout=120)
    assert wait_until(lambda: not pid_alive(old_vm))
    assert fresh_kernel.value(":back") == ":back"


def test_shutdown_leaves_no_vm_behind(fresh_kernel):
    vm = fresh_kernel.beam_pid()
    fresh_kernel.run('spawn(fn -> Process.sleep(:infinity) end)\nSystem.cmd("sleep", ["0"])')
    fresh_kernel.km.shutdown_kernel(now=False)
    assert wait_until(lambda: not pid_alive(vm))


def test_an_interrupted_input_request_clears_its_box_and_keeps_the_cells_output(fresh_kernel):
    def interrupt_instead_of_answering(msg):
        fresh_kernel.km.interrupt_kernel()

    run = fresh_kernel.run('IO.puts("before")\nIO.gets("name? ")', allow_stdin=True,
                           stdin_hook=interrupt_instead_of_answering)
    assert run.reply["ename"] == "Interrupted"
    kinds = [kind for _, kind, _ in run.messages]
    cleared = kinds.index("clear_output")
    assert "before\n" in "".join(c["text"] for _, k, c in run.messages[cleared:] if k == "stream"), \
        "what the cell printed is shown again after the box is cleared"
    assert "name? \n" in run.stdout
