"""Magic parsing, the kernel's answer to an unknown magic, and the installed kernelspec."""

import json
import sys

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from iex_kernel import magics


@pytest.mark.parametrize(
    "code, expected",
    [
        ("%mix_test 01_x", magics.MagicCall("mix_test", ["01_x"], "")),
        ("\n  %mix_test 01_x --verbose\nbody", magics.MagicCall("mix_test", ["01_x", "--verbose"], "body")),
        ("%{a: 1}", None),
        ("%User{name: 1}", None),
        ("x = 1", None),
    ],
)
def test_parse(code, expected):
    assert magics.parse(code) == expected


def test_unclosed_quote_in_arguments_is_a_magic_error():
    with pytest.raises(magics.MagicError, match="cannot read the arguments"):
        magics.parse('%mix_test "open')


def test_unknown_magic_names_the_known_ones(kernel):
    run = kernel.run("%no_such_magic")
    assert run.reply["ename"] == "MagicError"
    assert "Unknown magic %no_such_magic" in run.reply["evalue"]
    assert "%mix_test" in run.reply["evalue"]


def test_the_kernelspec_is_installed_in_the_venv():
    spec = KernelSpecManager().get_kernel_spec("elixir")
    assert spec.display_name == "Elixir (IEx)"
    assert spec.language == "elixir"
    assert spec.argv[:3] == [sys.executable, "-m", "iex_kernel"]
    assert spec.resource_dir.startswith(sys.prefix)


def test_kernel_info_language(kernel):
    info = kernel.ask("kernel_info")
    assert info["language_info"]["name"] == "elixir"
    assert info["language_info"]["file_extension"] == ".ex"
    assert info["language_info"]["pygments_lexer"] == "elixir"
    assert info["language_info"]["version"].startswith("1.")
    assert "Elixir" in info["banner"]
