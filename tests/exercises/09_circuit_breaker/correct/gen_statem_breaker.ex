# Correct, different style: a :gen_statem with closed / open / half_open states; callers call the service themselves.
defmodule Storefront.Recommendations do
  @moduledoc """
  Recommendations for product pages behind a circuit breaker, written as a state machine.
  """
  @behaviour :gen_statem
  require Logger

  def child_spec(opts), do: %{id: __MODULE__, start: {__MODULE__, :start_link, [opts]}}

  def start_link(opts) do
    case Keyword.fetch(opts, :name) do
      {:ok, name} -> :gen_statem.start_link({:local, name}, __MODULE__, opts, [])
      :error -> :gen_statem.start_link(__MODULE__, opts, [])
    end
  end

  def for_user(server, user_id) do
    case :gen_statem.call(server, :permit) do
      :rejected ->
        {:error, :circuit_open}

      {:go, ticket, fetch} ->
        result =
          try do
            fetch.(user_id)
          catch
            :error, reason ->
              :gen_statem.call(server, {:done, ticket, :failure})
              :erlang.raise(:error, reason, __STACKTRACE__)

            :exit, reason ->
              :gen_statem.call(server, {:done, ticket, :failure})
              exit(reason)
          end

        verdict = if match?({:ok, _}, result), do: :success, else: :failure
        :gen_statem.call(server, {:done, ticket, verdict})
        result
    end
  end

  @impl :gen_statem
  def callback_mode, do: :state_functions

  @impl :gen_statem
  def init(opts) do
    data = %{
      fetch: Keyword.fetch!(opts, :fetch),
      threshold: Keyword.get(opts, :failure_threshold, 5),
      cooldown: Keyword.get(opts, :cooldown_ms, 30_000),
      clock: Keyword.get(opts, :clock, fn -> System.monotonic_time(:millisecond) end),
      failures: 0,
      opened_at: nil,
      probe: nil
    }

    {:ok, :closed, data}
  end

  def closed({:call, from}, :permit, data),
    do: {:keep_state_and_data, [{:reply, from, {:go, :regular, data.fetch}}]}

  def closed({:call, from}, {:done, :regular, :success}, data),
    do: {:keep_state, %{data | failures: 0}, [{:reply, from, :ok}]}

  def closed({:call, from}, {:done, :regular, :failure}, data) do
    case data.failures + 1 do
      failures when failures >= data.threshold ->
        {:next_state, :open, trip(data), [{:reply, from, :ok}]}

      failures ->
        {:keep_state, %{data | failures: failures}, [{:reply, from, :ok}]}
    end
  end

  def closed(type, _event, _data), do: stale(type)

  def open({:call, {caller, _} = from}, :permit, data) do
    if data.clock.() - data.opened_at >= data.cooldown do
      probe = Process.monitor(caller)

      {:next_state, :half_open, %{data | probe: probe},
       [{:reply, from, {:go, {:probe, probe}, data.fetch}}]}
    else
      {:keep_state_and_data, [{:reply, from, :rejected}]}
    end
  end

  def open(type, _event, _data), do: stale(type)

  def half_open({:call, from}, :permit, _data),
    do: {:keep_state_and_data, [{:reply, from, :rejected}]}

  def half_open({:call, from}, {:done, {:probe, probe}, verdict}, %{probe: probe} = data) do
    Process.demonitor(probe, [:flush])

    case verdict do
      :success -> {:next_state, :closed, %{data | failures: 0, probe: nil}, [{:reply, from, :ok}]}
      :failure -> {:next_state, :open, trip(data), [{:reply, from, :ok}]}
    end
  end

  def half_open(:info, {:DOWN, probe, :process, _pid, _reason}, %{probe: probe} = data),
    do: {:next_state, :open, trip(data)}

  def half_open(type, _event, _data), do: stale(type)

  # Late reports from requests let through earlier, stray messages: acknowledged, ignored.
  defp stale({:call, from}), do: {:keep_state_and_data, [{:reply, from, :ok}]}
  defp stale(_type), do: :keep_state_and_data

  defp trip(data) do
    Logger.error("recommendations circuit open for #{data.cooldown} ms")
    %{data | opened_at: data.clock.(), failures: 0, probe: nil}
  end
end
