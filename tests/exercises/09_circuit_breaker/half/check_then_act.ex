# Half-fix: the caller reads the state, then decides on its own: every caller that sees "cooldown over" probes at the same time.
defmodule Storefront.Recommendations do
  @moduledoc false
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))

  def for_user(server, user_id) do
    state = GenServer.call(server, :state)

    if state.opened_at == nil or state.clock.() - state.opened_at >= state.cooldown do
      result =
        try do
          state.fetch.(user_id)
        catch
          kind, reason ->
            GenServer.call(server, {:outcome, :failure})
            :erlang.raise(kind, reason, __STACKTRACE__)
        end

      GenServer.call(
        server,
        {:outcome, if(match?({:ok, _}, result), do: :success, else: :failure)}
      )

      result
    else
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
  def handle_call(:state, _from, state), do: {:reply, state, state}

  def handle_call({:outcome, :success}, _from, state),
    do: {:reply, :ok, %{state | failures: 0, opened_at: nil}}

  # A failure while open was a probe: open again. While closed, count it.
  def handle_call({:outcome, :failure}, _from, %{opened_at: nil} = state) do
    failures = state.failures + 1

    if failures >= state.threshold,
      do: {:reply, :ok, %{state | failures: 0, opened_at: state.clock.()}},
      else: {:reply, :ok, %{state | failures: failures}}
  end

  def handle_call({:outcome, :failure}, _from, state),
    do: {:reply, :ok, %{state | opened_at: state.clock.()}}
end
