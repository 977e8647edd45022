"""Jupyter protocol conformance, by jupyter_kernel_test's own checks."""

import jupyter_kernel_test


class TestElixirKernelProtocol(jupyter_kernel_test.KernelTests):
    kernel_name = "elixir"
    language_name = "elixir"
    file_extension = ".ex"

    code_hello_world = 'IO.puts("hello, world")'
    # Deliberately absent: code_stderr. Everything a session prints is stdout, because
    # nbgrader zeroes a graded cell with any stderr output (see test_output.py).

    completion_samples = [
        {"text": "Enum.map_", "matches": {"map_every", "map_intersperse", "map_join", "map_reduce"}},
        {"text": "Enumer", "matches": {"Enumerable"}},
        {"text": "String.Cha", "matches": {"Chars"}},
        {"text": ":et", "matches": {"ets"}},
    ]
    complete_code_samples = ["1 + 1", "defmodule A do\nend", "# only a comment", ""]
    incomplete_code_samples = ["defmodule A do", "x = (1 +", 'IO.puts("unfinished', "fn x ->"]
    invalid_code_samples = ["x = ]", "1 + * 2"]

    code_generate_error = 'raise "boom"'
    code_execute_result = [
        {"code": "1 + 1", "result": "2"},
        {"code": "%{a: [1, 2]}", "result": "%{a: [1, 2]}"},
        {"code": '"héllo" <> "!"', "result": '"héllo!"'},
    ]
    code_display_data = [
        {"code": 'IExKernel.Display.show(IExKernel.Display.html("<b>x</b>"))', "mime": "text/html"},
        {"code": 'IExKernel.Display.show(IExKernel.Display.mermaid("graph TD; A-->B"))', "mime": "text/vnd.mermaid"},
        {"code": 'IExKernel.Display.show(IExKernel.Display.svg("<svg></svg>"))', "mime": "image/svg+xml"},
    ]
    code_history_pattern = "1 ? 1*"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "Enum.map"
    code_clear_output = "IExKernel.Display.clear()"
