defmodule Audit.Store do
  @moduledoc """
  The audit store: an append-only log kept by another team's service.

  `write/1` appends one event and returns `:ok` once the store has acknowledged it. It is a
  network round trip, so it takes milliseconds on a good day and much longer on a bad one.
  The store expects one writer at a time, appending in order. (This stand-in only simulates
  the round trip.)
  """

  @spec write(term) :: :ok
  def write(_event) do
    Process.sleep(2)
    :ok
  end
end
