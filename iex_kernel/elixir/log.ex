defmodule Course.Log do
  @moduledoc """
  The course's log format, set for every session: one line per event, no timestamp, so a
  notebook's stored output compares from run to run.

      [warning] disk almost full request_id=r-1
      [error] GenServer Cart terminating ** (RuntimeError) boom

  A multi-line event (a crash report) keeps its first line and its `** (reason)` line.

  This module is the one place that knows how each Elixir version configures console logging:
  the `:console` backend up to 1.14, the `:logger` default handler's formatter from 1.15 on.
  Notebooks call `configure/1`, never `Logger.configure_backend/2` (deprecated from 1.15 on).

  `lines/0` counts the lines printed so far and `await/1` waits for a count: a crash
  report is printed a moment after the crash, by another process.
  """

  @counter {__MODULE__, :lines}

  @doc """
  Installs a console log format.

    * `metadata:` the metadata keys shown as ` key=value` (none by default);
    * `format:` a `{module, function}` called as `function(level, message, timestamp, metadata)`,
      or a `Logger.Formatter` pattern such as `"[$level] $message\\n"`; the course's format by default.
  """
  def configure(opts \\ []) do
    unless :persistent_term.get(@counter, nil), do: :persistent_term.put(@counter, :counters.new(1, [:atomics]))
    format = Keyword.get(opts, :format, {__MODULE__, :format})
    metadata = Keyword.get(opts, :metadata, [])

    if Version.match?(System.version(), ">= 1.15.0") do
      # Logger.Formatter.new/1 exists from 1.15 on: apply/3 keeps 1.14's compiler quiet.
      formatter = apply(Logger.Formatter, :new, [[format: format, metadata: metadata]])
      :ok = :logger.update_handler_config(:default, :formatter, formatter)
      # ExUnit.CaptureLog formats with these, as it took the console backend's on 1.14.
      Application.put_env(:logger, :default_formatter, format: format, metadata: metadata)
    else
      Logger.configure_backend(:console, format: format, metadata: metadata)
    end

    :ok
  end

  @doc """
  Formats one event (the console format callback).

      iex> Course.Log.format(:warning, "disk almost full", nil, request_id: "r-1") |> IO.iodata_to_binary()
      "[warning] disk almost full request_id=r-1\\n"
      iex> Course.Log.format(:error, "Cart terminating\\n** (RuntimeError) boom\\n    stack", nil, []) |> IO.iodata_to_binary()
      "[error] Cart terminating ** (RuntimeError) boom\\n"
  """
  def format(level, message, _timestamp, metadata) do
    count()
    lines = message |> IO.chardata_to_string() |> String.split("\n", trim: true)
    reason = Enum.find(Enum.drop(lines, 1), "", &String.starts_with?(&1, "** ("))
    meta = Enum.map_join(metadata, "", fn {key, value} -> " #{key}=#{value}" end)
    "[#{level}] #{Enum.join(Enum.reject([List.first(lines, ""), reason], &(&1 == "")), " ")}#{meta}\n"
  rescue
    _ -> "[#{level}] #{inspect(message)}\n"
  end

  @doc "How many log lines have been printed since the session started."
  def lines do
    case :persistent_term.get(@counter, nil) do
      nil -> 0
      counter -> :counters.get(counter, 1)
    end
  end

  @doc "Waits (2 s at most) until `count` lines have been printed, then until they are written."
  def await(count), do: await(count, 200)

  defp await(count, tries) do
    cond do
      lines() >= count or tries == 0 -> flush()
      true -> Process.sleep(10); await(count, tries - 1)
    end
  end

  @doc "Returns once every event logged before the call has been written out."
  def flush do
    Logger.flush()
  catch
    :exit, _ -> :ok
  end

  defp count do
    case :persistent_term.get(@counter, nil) do
      nil -> :ok
      counter -> :counters.add(counter, 1, 1)
    end
  end
end
