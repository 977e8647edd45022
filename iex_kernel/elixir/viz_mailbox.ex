defmodule IExKernel.Viz.Mailbox do
  @moduledoc """
  A process's mailbox length over time, sampled while a function runs, and drawn as a line
  chart (`IExKernel.Viz.Chart`): unbounded casts versus back-pressure, as a picture.
  """

  @doc """
  Runs `fun` while sampling `pid`'s `message_queue_len` every `interval` ms (default 10).
  Returns `{result, series}` with `series` a list of `{milliseconds_since_start, length}`.
  """
  def sample(pid, fun, opts \\ []) do
    interval = Keyword.get(opts, :interval, 10)
    started = System.monotonic_time(:millisecond)
    sampler = spawn_link(fn -> loop(pid, interval, started, []) end)
    result = fun.()
    send(sampler, {:stop, self()})

    receive do
      {:series, ^sampler, series} ->
        Process.unlink(sampler)
        {result, series}
    end
  end

  defp loop(pid, interval, started, acc) do
    acc = [{System.monotonic_time(:millisecond) - started, queue_length(pid)} | acc]

    receive do
      {:stop, caller} ->
        final = {System.monotonic_time(:millisecond) - started, queue_length(pid)}
        send(caller, {:series, self(), Enum.reverse([final | acc])})
    after
      interval -> loop(pid, interval, started, acc)
    end
  end

  defp queue_length(pid) do
    case Process.info(pid, :message_queue_len) do
      {:message_queue_len, length} -> length
      nil -> 0
    end
  end
end
