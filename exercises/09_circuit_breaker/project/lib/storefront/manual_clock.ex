defmodule Storefront.ManualClock do
  @moduledoc """
  A clock that moves only when told to: time-based behaviour, tested without sleeping.

      clock = Storefront.ManualClock.new()
      {:ok, breaker} =
        Storefront.Recommendations.start_link(
          fetch: &RecsAPI.fetch/1,
          clock: Storefront.ManualClock.reader(clock)
        )

      Storefront.ManualClock.advance(clock, 30_000)

  It counts milliseconds, like `System.monotonic_time(:millisecond)`, and any process may
  read it.
  """

  defstruct [:ref]

  @type t :: %__MODULE__{ref: :atomics.atomics_ref()}

  @doc "A clock that reads `start_ms` until it is advanced."
  @spec new(integer) :: t
  def new(start_ms \\ 0) when is_integer(start_ms) do
    ref = :atomics.new(1, signed: true)
    :atomics.put(ref, 1, start_ms)
    %__MODULE__{ref: ref}
  end

  @doc "The current time, in milliseconds."
  @spec now(t) :: integer
  def now(%__MODULE__{ref: ref}), do: :atomics.get(ref, 1)

  @doc "Moves the clock `ms` milliseconds forward and returns the new time."
  @spec advance(t, non_neg_integer) :: integer
  def advance(%__MODULE__{ref: ref}, ms) when is_integer(ms) and ms >= 0,
    do: :atomics.add_get(ref, 1, ms)

  @doc "A function of no arguments that reads the clock: what a `:clock` option takes."
  @spec reader(t) :: (() -> integer)
  def reader(%__MODULE__{} = clock), do: fn -> now(clock) end
end
