# Half-fix: a correct state machine, but the service is called inside handle_call: every request queues behind the one in flight, probe included.
defmodule Storefront.Recommendations do
  @moduledoc false
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))

  def for_user(server, user_id), do: GenServer.call(server, {:for_user, user_id})

  @impl true
  def init(opts) do
    {:ok,
     %{
       fetch: Keyword.fetch!(opts, :fetch),
       threshold: Keyword.get(opts, :failure_threshold, 5),
       cooldown: Keyword.get(opts, :cooldown_ms, 30_000),
       clock: Keyword.get(opts, :clock, fn -> System.monotonic_time(:millisecond) end),
       status: :closed,
       failures: 0,
       opened_at: nil
     }}
  end

  @impl true
  def handle_call({:for_user, user_id}, _from, %{status: :closed} = state) do
    result = safe_fetch(state, user_id)

    case result do
      {:ok, _} ->
        {:reply, result, %{state | failures: 0}}

      _error when state.failures + 1 >= state.threshold ->
        {:reply, result, open(state)}

      _error ->
        {:reply, result, %{state | failures: state.failures + 1}}
    end
  end

  def handle_call({:for_user, user_id}, _from, %{status: :open} = state) do
    if state.clock.() - state.opened_at >= state.cooldown do
      case safe_fetch(state, user_id) do
        {:ok, _} = ok -> {:reply, ok, %{state | status: :closed, failures: 0}}
        error -> {:reply, error, open(state)}
      end
    else
      {:reply, {:error, :circuit_open}, state}
    end
  end

  defp safe_fetch(state, user_id) do
    state.fetch.(user_id)
  rescue
    exception -> {:error, {:crashed, exception}}
  end

  defp open(state), do: %{state | status: :open, opened_at: state.clock.(), failures: 0}
end
