"""Rich output from Elixir: every MIME type the course uses, shown now or as the result."""

import base64

import pytest

PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.mark.parametrize(
    "constructor, argument, mime, expected",
    [
        ("html", '"<b>bold</b>"', "text/html", "<b>bold</b>"),
        ("markdown", '"**bold**"', "text/markdown", "**bold**"),
        ("svg", '"<svg xmlns=\\"http://www.w3.org/2000/svg\\"/>"', "image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("mermaid", '"graph TD; Sup-->Worker"', "text/vnd.mermaid", "graph TD; Sup-->Worker"),
        ("json", '%{"workers" => [1, 2], "ok" => true, "none" => nil}', "application/json", {"workers": [1, 2], "ok": True, "none": None}),
    ],
)
def test_each_mime_type_as_display_data_and_as_result(kernel, constructor, argument, mime, expected):
    shown = kernel.run(f"IExKernel.Display.{constructor}({argument}) |> IExKernel.Display.show()")
    [display] = shown.of_type("display_data")
    assert display["data"][mime] == expected
    assert "text/plain" in display["data"]
    assert shown.result is None

    returned = kernel.run(f"IExKernel.Display.{constructor}({argument})")
    [result] = returned.of_type("execute_result")
    assert result["data"][mime] == expected


def test_png_is_sent_base64_encoded(kernel, tmp_path):
    image = tmp_path / "dot.png"
    image.write_bytes(PNG_1x1)
    run = kernel.run(f'File.read!("{image}") |> IExKernel.Display.png()')
    [result] = run.of_type("execute_result")
    assert base64.b64decode(result["data"]["image/png"]) == PNG_1x1


def test_a_display_is_updated_in_place_by_id(kernel):
    run = kernel.run(
        'alias IExKernel.Display\n'
        'Display.show(Display.html("<i>0</i>"), id: "counter")\n'
        'for n <- 1..3, do: Display.update("counter", Display.html("<i>#{n}</i>"))\n'
        ":done"
    )
    [first] = run.of_type("display_data")
    updates = run.of_type("update_display_data")
    assert first["transient"]["display_id"] == "counter"
    assert [u["data"]["text/html"] for u in updates] == ["<i>1</i>", "<i>2</i>", "<i>3</i>"]
    assert all(u["transient"]["display_id"] == "counter" for u in updates)


def test_output_and_displays_keep_their_order(kernel):
    run = kernel.run('IO.puts("before")\nIExKernel.Display.show(IExKernel.Display.markdown("middle"))\nIO.puts("after")\n:ok')
    kinds = [(t, c.get("text") or c.get("data", {}).get("text/markdown")) for _, t, c in run.messages if t != "execute_result"]
    assert kinds == [("stream", "before\n"), ("display_data", "middle"), ("stream", "after\n")]


def test_clear_output(kernel):
    run = kernel.run('IO.puts("old")\nIExKernel.Display.clear(wait: true)\nIO.puts("new")')
    assert run.of_type("clear_output") == [{"wait": True}]


def test_displays_from_spawned_processes_arrive(kernel):
    run = kernel.run(
        "task = Task.async(fn -> IExKernel.Display.show(IExKernel.Display.html(\"<p>from a task</p>\")) end)\n"
        "Task.await(task)\n:ok"
    )
    assert [d["data"]["text/html"] for d in run.of_type("display_data")] == ["<p>from a task</p>"]
