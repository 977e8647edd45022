# Compiles the kernel's Elixir side and runs its doctests and unit tests with ExUnit.
Application.ensure_all_started(:iex)
ebin = Path.join(File.cwd!(), "ebin")
File.mkdir_p!(ebin)
sources = Path.wildcard(Path.join(System.fetch_env!("IEXK_SRC"), "*.ex"))
{:ok, _, _} = Kernel.ParallelCompiler.compile_to_path(sources, ebin)
Code.prepend_path(ebin)
ExUnit.start(autorun: false)

defmodule IExKernel.ElixirSideTest do
  use ExUnit.Case, async: true
  doctest IExKernel.Wire
  doctest IExKernel
  doctest Course.Log
  doctest Course.Inspect
  doctest IExKernel.Evaluator
  doctest IExKernel.Viz.Chart
  doctest Course.Lab

  alias IExKernel.{Complete, Errors, Wire}

  describe "Course.Lab" do
    test "kill/2 with a path names what a nested supervisor restarted" do
      inner = %{id: :inner, type: :supervisor,
                start: {Supervisor, :start_link, [[{Agent, fn -> 1 end}], [strategy: :one_for_all]]}}
      {:ok, sup} = Supervisor.start_link([{Agent, fn -> 0 end}, inner], strategy: :one_for_one)
      assert Course.Lab.kill(sup, [:inner, Agent]) == [[:inner, Agent]]
      assert Course.Lab.kill(sup, [:inner]) == [[:inner], [:inner, Agent]]
      assert Course.Lab.kill(sup, Agent) == [Agent]
    end

    test "wait_until/2 counts an exit as not yet, and says when it gives up" do
      counter = :counters.new(1, [])
      poll = fn -> :counters.add(counter, 1, 1); :counters.get(counter, 1) > 3 or exit(:restarting) end
      assert Course.Lab.wait_until(poll) == :ok
      assert_raise RuntimeError, "condition not reached within 30 ms", fn -> Course.Lab.wait_until(fn -> false end, 30) end
    end

    test "drain/0 empties the mailbox oldest first; quietly/1 returns the result without printing" do
      send(self(), :a)
      send(self(), :b)
      assert Course.Lab.drain() == [:a, :b] and Course.Lab.drain() == []
      printed = ExUnit.CaptureIO.capture_io(:user, fn -> assert Course.Lab.quietly(fn -> require Logger; Logger.error("boom"); 7 end) == 7 end)
      refute printed =~ "boom"
    end
  end

  test "JSON escapes every non-ASCII character, astral ones as surrogate pairs" do
    assert IO.iodata_to_binary(Wire.encode("a\u0001👋")) == ~S("a\u0001\ud83d\udc4b")
  end

  test "JSON replaces bytes that are not UTF-8 instead of breaking the frame" do
    assert IO.iodata_to_binary(Wire.encode(<<?a, 0xFF>>)) == ~S("a\ufffd")
  end

  test "errors name the exception and prune the evaluator's frames" do
    stack = [{:erlang, :/, [1, 0], []}, {:erl_eval, :do_apply, 7, []}, {IExKernel.Evaluator, :eval, 3, []}]
    error = Errors.format(:error, :badarith, stack)
    assert error.ename == "ArithmeticError"
    assert Enum.all?(tl(error.traceback), &(&1 =~ ":erlang./"))
  end

  test "completion resolves aliases in scope" do
    env = %{Code.env_for_eval([]) | aliases: [{Str, String}]}
    assert Complete.complete("Str.Ch", [], env).matches == ["Chars"]
    assert Complete.resolve_alias("Str", env) == String
  end
end

result = ExUnit.run()
System.halt(if result.failures == 0, do: 0, else: 1)
