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

  alias IExKernel.{Complete, Errors, Wire}

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
