"""The course's teaching tools: supervision trees, message sequences, live views, mailbox
charts and %interact controls, each checked on what it draws or sends."""

import re

import pytest

from iex_kernel.interact import Control, bindings, parse_controls

PID = re.compile(r"\d+[._]\d+[._]\d+")

TREE = """
children = [
  Supervisor.child_spec({Agent, fn -> %{} end}, id: :cache),
  %{id: :jobs, type: :supervisor,
    start: {Supervisor, :start_link, [[Supervisor.child_spec({Agent, fn -> 0 end}, id: :counter),
                                       {Task.Supervisor, name: Tools.Tasks}], [strategy: :rest_for_one]]}}
]
{:ok, _} = Supervisor.start_link(children, strategy: :one_for_one, name: Tools.Sup)
"""


def test_supervision_tree_diagram(kernel):
    kernel.run(TREE)
    source = kernel.value("IExKernel.Viz.Tree.snapshot(Tools.Sup) |> IExKernel.Viz.Tree.to_mermaid() |> IO.puts()")
    run = kernel.run("IExKernel.Viz.Tree.snapshot(Tools.Sup) |> IExKernel.Viz.Tree.to_mermaid() |> IO.puts()")
    diagram = PID.sub("PID", run.stdout)
    assert diagram.splitlines()[:10] == [
        "graph TD",
        '  n0["Tools.Sup<br/><small>one_for_one · PID</small>"]:::supervisor',
        '  n1[":cache<br/><small>PID</small>"]:::worker',
        '  n2[":jobs<br/><small>rest_for_one · PID</small>"]:::supervisor',
        '  n3[":counter<br/><small>PID</small>"]:::worker',
        '  n4["Tools.Tasks<br/><small>DynamicSupervisor one_for_one · PID</small>"]:::supervisor',
        "  n0 --> n1",
        "  n0 --> n2",
        "  n2 --> n3",
        "  n2 --> n4",
    ]
    assert source == ":ok"


def test_tree_shows_links_that_are_not_supervision_and_draws_as_mermaid(kernel):
    kernel.run(TREE)
    kernel.run("[{_, counter, _, _}] = Supervisor.which_children(Tools.Sup) |> Enum.filter(&match?({:jobs, _, _, _}, &1)) |> hd() |> elem(1) |> Supervisor.which_children() |> Enum.filter(&match?({:counter, _, _, _}, &1))\n"
               "[{_, cache, _, _}] = Supervisor.which_children(Tools.Sup) |> Enum.filter(&match?({:cache, _, _, _}, &1))\n"
               "Agent.update(cache, fn s -> Process.link(counter); s end)")
    run = kernel.run("IExKernel.Viz.tree(Tools.Sup)")
    [display] = run.of_type("display_data")
    assert "-.-|link|" in display["data"]["text/vnd.mermaid"]
    assert run.result is None


def test_sequence_diagram_of_a_call(kernel):
    kernel.run("{:ok, _} = Agent.start_link(fn -> 41 end, name: Tools.Store)")
    run = kernel.run("IExKernel.Viz.sequence(fn -> Agent.get(Tools.Store, &(&1 + 1)) end)")
    [display] = run.of_type("display_data")
    lines = [PID.sub("PID", line) for line in display["data"]["text/vnd.mermaid"].splitlines()]
    assert lines == [
        "sequenceDiagram",
        "  participant pPID as caller",
        "  participant pPID as Tools.Store",
        "  pPID->>pPID: call {:get, fn}",
        "  pPID-->>pPID: reply 42",
    ]
    assert run.result == "42"


def test_mailbox_series_rises_under_a_flood_and_drains(kernel):
    run = kernel.run(
        "{:ok, slow} = Agent.start(fn -> 0 end)\n"
        "{_, series} = IExKernel.Viz.mailbox(slow, fn ->\n"
        "  for _ <- 1..300, do: Agent.cast(slow, fn s -> Process.sleep(1); s + 1 end)\n"
        "  Agent.get(slow, & &1, 30_000)\n"
        "end)\n"
        "times = Enum.map(series, &elem(&1, 0))\n"
        "lengths = Enum.map(series, &elem(&1, 1))\n"
        "{times == Enum.sort(times), Enum.max(lengths) > 50, List.last(lengths)}"
    )
    assert run.result == "{true, true, 0}"
    [display] = run.of_type("display_data")
    assert display["data"]["image/svg+xml"].startswith("<svg")
    assert "&lt;" in display["data"]["image/svg+xml"]  # the pid in the title is escaped
    spec = display["data"]["application/vnd.vegalite.v5+json"]
    assert spec["$schema"].endswith("vega-lite/v5.json") and spec["mark"]["type"] == "line"
    lengths = [point["value"] for point in spec["data"]["values"]]
    assert max(lengths) > 50 and lengths[-1] == 0, "JupyterLab's chart shows the same series"
    assert f"peak {max(lengths)}" in display["data"]["text/plain"]


def test_live_view_updates_in_place_while_the_cell_runs(kernel):
    run = kernel.run("IExKernel.Viz.live(fn -> Process.sleep(600); :done end, interval: 50)")
    first = run.of_type("display_data")[0]
    updates = run.of_type("update_display_data")
    display_id = first["transient"]["display_id"]
    assert len(updates) >= 2
    assert all(update["transient"]["display_id"] == display_id for update in updates)
    assert "VM (finished)" in updates[-1]["data"]["text/html"]
    assert run.result == ":done"
    [chart] = run.of_type("display_data")[1:]
    panels = chart["data"]["application/vnd.vegalite.v5+json"]["vconcat"]
    assert [panel["title"] for panel in panels] == ["run queue", "processes"]
    assert len(panels[1]["data"]["values"]) >= 3 and all(p["value"] > 10 for p in panels[1]["data"]["values"])
    assert chart["data"]["image/svg+xml"].count("<polyline") == 2, "the SVG fallback draws both panels"


def test_vm_snapshot_shape(kernel):
    result = kernel.value("s = IExKernel.Viz.Live.snapshot(3)\n{Enum.sort(Map.keys(s)), length(s.mailboxes), s.processes > 10}")
    assert result == "{[:mailboxes, :memory_mb, :processes, :run_queue], 3, true}"


def test_interact_parses_controls():
    slider, choice, flag = parse_controls(["n=1..8=4", "mode=[:fifo,", ":lifo]", "trace=true"])
    assert slider == Control("n", "slider", low=1, high=8, initial=4)
    assert choice == Control("mode", "choice", options=(":fifo", ":lifo"), initial=":fifo")
    assert flag == Control("trace", "checkbox", initial=True)
    assert bindings({"n": 4, "flag": False}) == "n = 4\nflag = false\n"


def test_interact_reruns_the_body_when_a_slider_moves(kernel):
    run = kernel.run("%interact n=1..5=2\nIO.puts(n * 10)")
    opens = run.of_type("comm_open")
    models = {o["data"]["state"]["_model_name"]: o["comm_id"] for o in opens}
    assert {"IntSliderModel", "OutputModel", "VBoxModel"} <= set(models)
    assert any("application/vnd.jupyter.widget-view+json" in d["data"] for d in run.of_type("display_data"))
    assert "20\n" in _texts(_output_states(run, models["OutputModel"]))

    msg = kernel.kc.session.msg("comm_msg", {"comm_id": models["IntSliderModel"],
                                             "data": {"method": "update", "state": {"value": 4}, "buffer_paths": []}})
    kernel.kc.shell_channel.send(msg)
    seen = []
    while "40\n" not in _texts(seen):
        reply = kernel.kc.get_iopub_msg(timeout=30)
        if reply["msg_type"] == "comm_msg" and reply["content"]["comm_id"] == models["OutputModel"]:
            seen.append(reply["content"]["data"].get("state", {}).get("outputs"))
    assert "40\n" in _texts(seen)


def test_interact_labels_take_the_width_their_names_need(kernel):
    run = kernel.run("%interact max_concurrency=1..16=4 strategy=[:fifo, :lifo] trace=false\n:ok")
    states = [o["data"]["state"] for o in run.of_type("comm_open")]
    styles = [s for s in states if s["_model_name"].endswith("StyleModel")]
    assert len(styles) == 3 and all(s["description_width"] == "initial" for s in styles)


def test_interact_without_a_body_is_a_clear_error(kernel):
    run = kernel.run("%interact n=1..5")
    assert run.reply["ename"] == "MagicError"
    assert "put the Elixir code" in run.reply["evalue"]


def _output_states(run, comm_id):
    return [m["data"].get("state", {}).get("outputs") for m in run.of_type("comm_msg") if m["comm_id"] == comm_id]


def _texts(states):
    return [output.get("text") for outputs in states if outputs for output in outputs]


QUIZ = """%quiz
? Which strategy restarts only the crashed child?
- :one_for_all
+ :one_for_one
> Its siblings keep running.
"""


def test_quiz_parses_and_checks_answers():
    from iex_kernel.quiz import feedback, parse_quiz

    [question] = parse_quiz(QUIZ.split("\n", 1)[1])
    assert question.choices == [":one_for_all", ":one_for_one"]
    assert "Right" in feedback(question, 1) and "siblings" in feedback(question, 1)
    assert "Not quite" in feedback(question, 0)


def test_the_quiz_module_s_examples_hold():
    import doctest

    import iex_kernel.quiz

    assert doctest.testmod(iex_kernel.quiz).failed == 0


def test_a_bank_is_found_on_the_quiz_path_and_shown_in_an_order_its_author_did_not_choose(tmp_path, monkeypatch):
    from iex_kernel.quiz import load_bank, plain_text

    (tmp_path / "supervision.quiz").write_text(
        "# a comment\n? What does this return?\n```elixir\nSupervisor.which_children(sup) |> length()\n```\n"
        "+ 3\n- 2\n! One child restarted; it still counts.\n- 4\n- 1\n> Three children.\n")
    monkeypatch.setenv("IEXK_QUIZ_PATH", str(tmp_path))
    [question] = load_bank("supervision")
    assert question.reads_code and question.right == {0} and "still counts" in question.reasons[1]
    assert question.shown_order() != [0, 1, 2, 3]
    assert plain_text([question]).splitlines()[-4:] == [f"   ( ) {question.choices[i]}" for i in question.shown_order()]


@pytest.mark.parametrize("args, says", [
    ("nosuch", "no bank `nosuch.quiz`"),
    ("../etc/passwd", "letters, digits"),
    ("", "name a question bank"),
])
def test_a_quiz_bank_that_cannot_be_shown_says_what_to_do(kernel, args, says):
    run = kernel.run(f"%quiz {args}")
    assert run.reply["ename"] == "MagicError" and says in run.reply["evalue"]


def test_quiz_mistakes_are_clear(kernel):
    run = kernel.run("%quiz\n? Only one choice?\n+ yes")
    assert run.reply["ename"] == "MagicError"
    assert "two or more choices" in run.reply["evalue"]


def test_the_quiz_is_html_that_needs_no_kernel_with_markdown_rendered(kernel):
    run = kernel.run("%quiz\n? Which `strategy` restarts only the **crashed** child?\n- :one_for_all\n"
                     "+ `:one_for_one`\n> It's the default: its siblings keep running.\n")
    [display] = run.of_type("display_data")
    html = display["data"]["text/html"]
    assert set(display["data"]) == {"text/html", "text/plain"}, "no widget: the saved output is the quiz"
    assert "Which <code>strategy</code> restarts only the <strong>crashed</strong> child?" in html
    assert html.count("<details") == 2 and "<summary style='cursor:pointer'><code>:one_for_one</code></summary>" in html
    right = html.split("<code>:one_for_one</code></summary>")[1]
    assert right.startswith("<div") and "✓ Right." in right.split("</details>")[0]
    assert "It's the default" in right.split("</details>")[0]
    assert "1. Which `strategy` restarts" in display["data"]["text/plain"]


def test_dynamic_supervisor_children_are_labelled_by_their_module(kernel):
    kernel.run('''
    defmodule Tools.CartSession do
      use Agent
      def start_link(id), do: Agent.start_link(fn -> id end)
    end
    {:ok, carts} = DynamicSupervisor.start_link(strategy: :one_for_one)
    {:ok, _} = DynamicSupervisor.start_child(carts, {Tools.CartSession, 1})
    {:ok, _} = DynamicSupervisor.start_child(carts, %{id: :undefined, start: {Agent, :start_link, [fn -> 2 end]}})
    :ok''')
    run = kernel.run("IExKernel.Viz.Tree.snapshot(carts) |> IExKernel.Viz.Tree.to_mermaid() |> IO.puts()")
    labels = [line for line in run.stdout.splitlines() if ":::worker" in line]
    assert len(labels) == 2
    assert any('["Tools.CartSession<br/>' in line for line in labels)
    assert any('["Agent<br/>' in line for line in labels)
    assert ":undefined" not in run.stdout


def test_a_course_peer_is_a_second_vm_reachable_over_its_control_channel_with_a_log_to_read(kernel):
    result = kernel.value(
        "{:ok, _} = IExKernel.Distribution.start()\n"
        "peer = Course.Peer.start(\"lab_peer\", env: [{~c\"LAB_SECRET\", ~c\"s3\"}])\n"
        ":ok = Course.Peer.call(peer, :logger, :error, [~c\"peer says hi\"])\n"
        "seen = %{env: Course.Peer.call(peer, System, :get_env, [\"LAB_SECRET\"]),\n"
        "         distinct: peer.node != node(), log: length(Course.Peer.log_lines(peer, \"peer says hi\"))}\n"
        "{seen, Course.Peer.stop(peer), File.exists?(peer.log)}")
    assert result == '{%{distinct: true, env: "s3", log: 1}, :ok, false}'


def test_a_course_peer_connects_over_distribution_and_refuses_a_cookie_erl_would_misread(kernel):
    result = kernel.value(
        "{:ok, _} = IExKernel.Distribution.start()\n"
        "peer = Course.Peer.start(\"lab_connect\")\n"
        "connected = Node.connect(peer.node)\n"
        "Course.Peer.stop(peer)\n"
        "refused = try do Course.Peer.start(\"lab_dash\", cookie: :\"-abc\") rescue e in ArgumentError -> e.message end\n"
        "{connected, refused}")
    assert " ".join(result.split()) == '{true, "a peer\'s cookie cannot start with \\"-\\" (erl reads it as a flag): :\\"-abc\\""}'
