# Correct, different style: lock-free decisions in the caller on :atomics (compare_exchange hands out the one probe); the process only owns the config.
defmodule Storefront.Recommendations do
  @moduledoc """
  Recommendations for product pages behind a circuit breaker kept in `:atomics`.
  """
  use GenServer
  require Logger

  # Slots of the atomics array.
  @status 1
  @failures 2
  @opened_at 3
  @probe 4

  @closed 0
  @open 1
  # "No probe in flight"; otherwise the slot holds the time the probe started.
  @no_probe -9_223_372_036_854_775_808

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))

  def for_user(server, user_id) do
    breaker = GenServer.call(server, :breaker)

    case admit(breaker) do
      :rejected -> {:error, :circuit_open}
      ticket -> run(breaker, ticket, user_id)
    end
  end

  defp admit(%{ref: ref} = b) do
    now = b.clock.()

    cond do
      :atomics.get(ref, @status) == @closed -> :regular
      now - :atomics.get(ref, @opened_at) < b.cooldown -> :rejected
      true -> claim_probe(b, now)
    end
  end

  # One caller wins the probe. A probe older than a cooldown was abandoned (its caller died).
  defp claim_probe(%{ref: ref} = b, now) do
    current = :atomics.get(ref, @probe)
    free? = current == @no_probe or now - current >= b.cooldown

    if free? and :atomics.compare_exchange(ref, @probe, current, now) == :ok,
      do: {:probe, now},
      else: :rejected
  end

  defp run(breaker, ticket, user_id) do
    result =
      try do
        breaker.fetch.(user_id)
      catch
        :error, reason -> failed(breaker, ticket, :error, reason, __STACKTRACE__)
        :exit, reason -> failed(breaker, ticket, :exit, reason, __STACKTRACE__)
      end

    record(breaker, ticket, if(match?({:ok, _}, result), do: :success, else: :failure))
    result
  end

  defp failed(breaker, ticket, kind, reason, stacktrace) do
    record(breaker, ticket, :failure)
    :erlang.raise(kind, reason, stacktrace)
  end

  defp record(%{ref: ref}, :regular, :success) do
    if :atomics.get(ref, @status) == @closed, do: :atomics.put(ref, @failures, 0)
  end

  defp record(%{ref: ref} = b, :regular, :failure) do
    if :atomics.get(ref, @status) == @closed and
         :atomics.add_get(ref, @failures, 1) >= b.threshold do
      :atomics.put(ref, @opened_at, b.clock.())

      if :atomics.compare_exchange(ref, @status, @closed, @open) == :ok do
        :atomics.put(ref, @failures, 0)
        Logger.error("recommendations circuit open for #{b.cooldown} ms")
      end
    end
  end

  defp record(%{ref: ref}, {:probe, started}, :success) do
    if :atomics.get(ref, @probe) == started do
      :atomics.put(ref, @failures, 0)
      :atomics.put(ref, @status, @closed)
      :atomics.compare_exchange(ref, @probe, started, @no_probe)
    end
  end

  defp record(%{ref: ref} = b, {:probe, started}, :failure) do
    if :atomics.get(ref, @probe) == started do
      :atomics.put(ref, @opened_at, b.clock.())
      :atomics.compare_exchange(ref, @probe, started, @no_probe)
    end
  end

  @impl true
  def init(opts) do
    ref = :atomics.new(4, signed: true)
    :atomics.put(ref, @status, @closed)
    :atomics.put(ref, @probe, @no_probe)

    {:ok,
     %{
       ref: ref,
       fetch: Keyword.fetch!(opts, :fetch),
       threshold: Keyword.get(opts, :failure_threshold, 5),
       cooldown: Keyword.get(opts, :cooldown_ms, 30_000),
       clock: Keyword.get(opts, :clock, fn -> System.monotonic_time(:millisecond) end)
     }}
  end

  @impl true
  def handle_call(:breaker, _from, breaker), do: {:reply, breaker, breaker}
end
