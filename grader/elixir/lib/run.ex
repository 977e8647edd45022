defmodule Grader.Run do
  @moduledoc """
  The entry point inside the sandbox: check, compile, test, in that order, in one VM.

  It opens the result channel (and receives the hidden tests through it) and reads the
  learner's file as data before any of the learner's code is compiled. Each step reports on the channel; a step that fails ends the
  run. Running Mix from here (rather than `mix test` from the shell) gives the compiler's
  diagnostics as data and saves starting a second VM for the policy check.
  """

  @test_args ["--seed", "0", "--max-cases", "1", "--formatter", "Grader.Formatter"]

  def main do
    {:ok, hidden_tests} = Grader.Channel.open()
    Enum.each([Grader.JSON, Grader.Formatter, Grader.OutputCapture, Grader.Policy], &Code.ensure_loaded!/1)
    seed_build()

    if check_policy() == :ok and compile() == :ok and System.get_env("GRADER_STEPS") != "compile",
      do: test(hidden_tests)

    Grader.Channel.emit(%{event: "done"})
    System.halt(0)
  end

  # In the sandbox, _build is an empty, size-capped tmpfs: the skeleton build starts it off.
  defp seed_build do
    with seed when is_binary(seed) <- System.get_env("GRADER_BUILD_SEED"), do: File.cp_r!(seed, "_build")
  end

  defp check_policy do
    source = File.read!(System.fetch_env!("GRADER_LEARNER_FILE"))
    allowed = String.split(System.get_env("GRADER_POLICY_ALLOW", ""), ",", trim: true)
    findings = Grader.Policy.check(source, allowed)
    Grader.Channel.emit(Map.put(findings, :event, "policy"))

    if findings.violations == [] or System.get_env("GRADER_POLICY") == "report-only",
      do: :ok,
      else: :stop
  end

  defp compile do
    Process.group_leader(self(), Grader.OutputCapture.start())
    Mix.start()
    Mix.CLI.main(["loadconfig"])

    case Mix.Task.run("compile", ["--return-errors"]) do
      {:error, diagnostics} ->
        errors = for d <- diagnostics, d.severity == :error, do: diagnostic(d)
        Grader.Channel.emit(%{event: "compile", ok: false, errors: errors})
        :stop

      _ok ->
        Grader.Channel.emit(%{event: "compile", ok: true})
        :ok
    end
  end

  defp diagnostic(d) do
    %{file: Path.relative_to_cwd(to_string(d.file)), line: line(d.position), message: d.message}
  end

  defp line({line, _column}), do: line
  defp line(line) when is_integer(line), do: line
  defp line(_none), do: nil

  # Hidden tests are compiled from memory (they are never written to the workspace) and
  # registered with ExUnit before Mix loads the visible ones; `mix test` then runs them all.
  defp test(hidden_tests) do
    {:ok, _apps} = Application.ensure_all_started(:ex_unit)

    for {name, source} <- hidden_tests do
      Code.compile_string(source, Path.expand(Path.join("test/hidden", name)))
    end

    Mix.Task.run("test", @test_args ++ test_timeout())
  end

  # Each test's own time limit (a test's `@tag timeout:` still wins), so a test that hangs is
  # named in its result; the grader's wall clock stays the backstop for the whole run.
  defp test_timeout do
    case System.get_env("GRADER_TEST_TIMEOUT_MS") do
      nil -> []
      ms -> ["--timeout", ms]
    end
  end
end
