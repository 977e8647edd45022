"""Big cells, any Unicode, bad input, big output, independent sessions, loopback-only distribution."""

from pathlib import Path

import pytest

from .conftest import Harness


def test_a_cell_of_200_kb(kernel):
    items = ", ".join(str(n) for n in range(40_000))  # ~230 KB of source
    code = f"big = [{items}]\nlength(big)"
    assert len(code.encode()) > 200_000
    assert kernel.value(code) == "40000"


def test_a_200_kb_string_literal_on_one_line(kernel):
    line = "x" * 210_000
    assert kernel.value(f'String.length("{line}")') == "210000"


def test_unicode_in_code_and_output(kernel):
    run = kernel.run('greeting = "Olá, 世界 👋🏽 e\u0301"\nIO.puts(greeting)\nString.length(greeting)')
    assert run.stdout == "Olá, 世界 👋🏽 e\u0301\n"
    assert run.result == "11"  # graphemes: the emoji with its skin tone and e + accent count once each


def test_one_megabyte_of_output_arrives_whole(kernel):
    run = kernel.run('IO.write(String.duplicate("0123456789", 100_000))\nIO.puts("|end")', timeout=120)
    assert run.stdout == "0123456789" * 100_000 + "|end\n"


def test_many_small_writes_arrive_in_order(kernel):
    run = kernel.run("for n <- 1..2000, do: IO.puts(n)\n:ok")
    assert run.stdout == "".join(f"{n}\n" for n in range(1, 2001))


@pytest.mark.parametrize(
    "code, ename, says",
    [
        ("x = 1\0", "SyntaxError", "null byte"),
        ("IO.write(<<0xFF, 0xFE>>)", "ArgumentError", "not valid character data"),
    ],
    ids=["nul-byte", "invalid-utf8-output"],
)
def test_bad_bytes_get_a_clear_error(kernel, code, ename, says):
    run = kernel.run(code, timeout=20)
    assert run.reply["ename"] == ename
    assert says in run.reply["evalue"]
    assert kernel.value(":still_alive") == ":still_alive"


@pytest.mark.parametrize("code", ["", "   \n\n", "# only a comment\n# and another"])
def test_empty_and_comment_only_cells_succeed_silently(kernel, code):
    run = kernel.run(code, timeout=20)
    assert run.status == "ok"
    assert run.messages == []


def test_two_notebooks_have_independent_sessions(kernel):
    other = Harness()
    try:
        kernel.run("only_here = :first")
        assert other.run("only_here").reply["ename"] == "CompileError"
        assert other.beam_pid() != kernel.beam_pid()
    finally:
        other.close()


def test_no_distribution_unless_a_cell_asks(kernel):
    assert kernel.value("Node.alive?()") == "false"
    assert _listening_ports(kernel.beam_pid()) == []


def test_distribution_on_request_is_loopback_only_with_a_random_cookie(fresh_kernel):
    node = fresh_kernel.value("{:ok, node} = IExKernel.Distribution.start()\nnode")
    assert node.endswith('@127.0.0.1"')
    listening = _listening_ports(fresh_kernel.beam_pid())
    assert listening and all(address == "127.0.0.1" for address, _ in listening)
    cookie = fresh_kernel.value("Node.get_cookie()")
    other = Harness()
    try:
        assert other.value("{:ok, _} = IExKernel.Distribution.start()\nNode.get_cookie()") != cookie
    finally:
        other.close()
    cookie_file = Path.home() / ".erlang.cookie"
    assert not cookie_file.exists() or cookie_file.read_text().strip() != cookie.lstrip(":")


def test_a_random_cookie_can_go_on_an_erl_command_line_as_it_is(kernel):
    # `erl -setcookie -abc` reads "-abc" as a flag and falls back to ~/.erlang.cookie, so a peer started
    # with such a cookie could never connect: one cookie in 64 did, when cookies were base64.
    result = kernel.value(
        "cookies = for _ <- 1..2_000, do: Atom.to_string(IExKernel.Distribution.random_cookie())\n"
        "{Enum.reject(cookies, &(&1 =~ ~r/^[0-9a-f]{36}$/)) |> Enum.take(3), length(Enum.uniq(cookies))}")
    assert result == "{[], 2000}"


def _listening_ports(pid: int) -> list[tuple[str, int]]:
    """(address, port) of the TCP sockets `pid` listens on, read from /proc (IPv4)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:
                address, port = local.split(":")
                listening.append((_address(address), int(port, 16)))
    return listening


def _address(hex_address: str) -> str:
    if len(hex_address) == 8:
        return ".".join(str(int(hex_address[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return hex_address  # IPv6: reported raw, and never loopback-only by this check's standard
