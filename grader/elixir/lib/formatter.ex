defmodule Grader.Formatter do
  @moduledoc """
  An ExUnit formatter that reports every finished test as one record on `Grader.Channel`.

  A record holds the test's module and name, its status, a failure message and what the
  code printed while it ran. Hidden tests (files under `test/hidden/`) get a message built
  from the failure itself, never ExUnit's `code:` line, so their source does not leak.
  """
  use GenServer

  @max_message 4_000
  @hidden_dir "/test/hidden/"

  @impl true
  def init(_opts), do: {:ok, %{}}

  @impl true
  def handle_cast({:suite_started, _opts}, state) do
    Grader.Channel.emit(%{event: "suite_started"})
    {:noreply, state}
  end

  def handle_cast({:test_started, %ExUnit.Test{} = test}, state) do
    Grader.OutputCapture.begin_test(key(test))
    Grader.Channel.emit(%{event: "test_started", module: inspect(test.module), name: Atom.to_string(test.name)})
    {:noreply, state}
  end

  def handle_cast({:test_finished, %ExUnit.Test{} = test}, state) do
    Grader.Channel.emit(record(test))
    {:noreply, state}
  end

  def handle_cast({:suite_finished, _times}, state) do
    Grader.Channel.emit(%{event: "suite_finished"})
    {:noreply, state}
  end

  def handle_cast(_event, state), do: {:noreply, state}

  defp key(test), do: {test.module, test.name}

  defp record(test) do
    {status, message} = isolated(fn -> outcome(test) end)

    %{
      event: "test",
      module: inspect(test.module),
      name: Atom.to_string(test.name),
      status: status,
      message: truncate(message),
      output: Grader.OutputCapture.take(key(test)),
      time_ms: div(test.time, 1000)
    }
  end

  # Showing a failure can run the learner's code (an Inspect implementation, an exception's
  # message/1): it runs in a process of its own that answers only by how it ends, so that
  # code never runs as this formatter and never learns who asked.
  defp isolated(fun) do
    {pid, ref} = spawn_monitor(fn -> exit({:shown, fun.()}) end)

    receive do
      {:DOWN, ^ref, :process, ^pid, {:shown, {status, message}}} when is_binary(status) and is_binary(message) ->
        {status, message}

      {:DOWN, ^ref, :process, ^pid, _other} ->
        {"fail", "The test failed, and showing why failed too (an Inspect implementation or exception message raised)."}
    after
      5_000 ->
        Process.exit(pid, :kill)
        {"fail", "The test failed, and showing why took too long (an Inspect implementation or exception message hung)."}
    end
  end

  defp outcome(%ExUnit.Test{state: nil}), do: {"pass", ""}
  defp outcome(%ExUnit.Test{state: {:skipped, reason}}), do: {"skip", "skipped: #{reason}"}
  defp outcome(%ExUnit.Test{state: {:excluded, reason}}), do: {"skip", "excluded: #{reason}"}

  defp outcome(%ExUnit.Test{state: {:invalid, module}}),
    do: {"fail", "setup_all in #{inspect(module.name)} failed, so this test did not run"}

  defp outcome(%ExUnit.Test{state: {:failed, [{:error, %ExUnit.TimeoutError{timeout: ms}, stack} | _]}} = test) do
    {"fail", timeout_message(ms, if(hidden?(test), do: [], else: stack))}
  end

  defp outcome(%ExUnit.Test{state: {:failed, failures}} = test) do
    if hidden?(test), do: {"fail", hidden_message(failures)}, else: {"fail", visible_message(test, failures)}
  end

  defp hidden?(test), do: String.contains?(to_string(test.tags[:file]), @hidden_dir)

  defp visible_message(test, failures) do
    test
    |> ExUnit.Formatter.format_test_failure(failures, 1, 100, fn _key, text -> text end)
    |> String.split("\n")
    |> Enum.drop(2)
    |> Enum.map_join("\n", &String.replace_prefix(&1, "     ", ""))
    |> String.trim()
  end

  defp timeout_message(ms, stack) do
    where =
      case Exception.format_stacktrace(Enum.take(stack, 4)) do
        "" -> ""
        frames -> "\nIt was stopped here:\n" <> String.trim_trailing(frames)
      end

    "This test did not finish within #{seconds(ms)} s and was stopped. Something in your code waits for " <>
      "what never comes: a call nobody answers, a receive with no timeout, an endless loop." <> where
  end

  defp seconds(ms) when rem(ms, 1000) == 0, do: div(ms, 1000)
  defp seconds(ms), do: Float.round(ms / 1000, 1)

  defp hidden_message(failures), do: Enum.map_join(failures, "\n", &hidden_failure/1)

  defp hidden_failure({:error, %ExUnit.AssertionError{} = error, _stack}) do
    no_value = ExUnit.AssertionError.no_value()

    [error.message]
    |> add_value("left", error.left, no_value)
    |> add_value("right", error.right, no_value)
    |> Enum.join("\n")
  end

  defp hidden_failure({kind, reason, stack}), do: Exception.format_banner(kind, reason, stack)

  defp add_value(lines, _label, value, value), do: lines
  defp add_value(lines, label, value, _no_value), do: lines ++ ["#{label}: #{inspect(value)}"]

  defp truncate(text) when byte_size(text) <= @max_message, do: text
  defp truncate(text), do: binary_part(text, 0, @max_message) <> "\n[message truncated]"
end
