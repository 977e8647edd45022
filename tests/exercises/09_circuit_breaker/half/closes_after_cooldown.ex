# Half-fix: after the cooldown it simply closes the circuit again: no single probe, everyone goes through and N more failures are needed to reopen.
defmodule Storefront.Recommendations do
  @moduledoc false
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))

  def for_user(server, user_id) do
    case GenServer.call(server, :permit) do
      {:go, fetch} ->
        result = fetch.(user_id)
        GenServer.call(server, {:outcome, result})
        result

      :open ->
        {:error, :circuit_open}
    end
  end

  @impl true
  def init(opts) do
    {:ok,
     %{
       fetch: Keyword.fetch!(opts, :fetch),
       threshold: Keyword.get(opts, :failure_threshold, 5),
       cooldown: Keyword.get(opts, :cooldown_ms, 30_000),
       clock: Keyword.get(opts, :clock, fn -> System.monotonic_time(:millisecond) end),
       failures: 0,
       opened_at: nil
     }}
  end

  @impl true
  def handle_call(:permit, _from, %{opened_at: nil} = state),
    do: {:reply, {:go, state.fetch}, state}

  def handle_call(:permit, _from, state) do
    if state.clock.() - state.opened_at >= state.cooldown,
      do: {:reply, {:go, state.fetch}, %{state | opened_at: nil, failures: 0}},
      else: {:reply, :open, state}
  end

  def handle_call({:outcome, {:ok, _}}, _from, state), do: {:reply, :ok, %{state | failures: 0}}

  def handle_call({:outcome, _error}, _from, state) do
    failures = state.failures + 1

    if failures >= state.threshold and state.opened_at == nil,
      do: {:reply, :ok, %{state | failures: failures, opened_at: state.clock.()}},
      else: {:reply, :ok, %{state | failures: failures}}
  end
end
