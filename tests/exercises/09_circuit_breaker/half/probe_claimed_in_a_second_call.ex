# Half-fix (hint 2): a :half_open state, but the caller decides from a snapshot that the cooldown is over and claims the probe in a second call: callers that arrive together all read "open", and all become probes.
defmodule Storefront.Recommendations do
  @moduledoc "Recommendations behind a circuit breaker."
  use GenServer
  require Logger

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  def for_user(server, user_id) do
    snapshot = GenServer.call(server, :snapshot)

    case snapshot.status do
      :closed ->
        run(server, snapshot.fetch, {:regular, snapshot.epoch}, user_id)

      :half_open ->
        {:error, :circuit_open}

      :open ->
        if snapshot.clock.() - snapshot.opened_at >= snapshot.cooldown do
          ref = GenServer.call(server, :become_probe)
          run(server, snapshot.fetch, {:probe, ref}, user_id)
        else
          {:error, :circuit_open}
        end
    end
  end

  defp run(server, fetch, ticket, user_id) do
    result =
      try do
        fetch.(user_id)
      catch
        kind, reason ->
          GenServer.cast(server, {:outcome, ticket, :failure})
          :erlang.raise(kind, reason, __STACKTRACE__)
      end

    outcome = if match?({:error, _}, result), do: :failure, else: :success
    GenServer.cast(server, {:outcome, ticket, outcome})
    result
  end

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
       opened_at: nil,
       epoch: 0,
       probe: nil
     }}
  end

  @impl true
  def handle_call(:snapshot, _from, state), do: {:reply, state, state}

  def handle_call(:become_probe, {pid, _}, state) do
    ref = Process.monitor(pid)
    {:reply, ref, %{state | status: :half_open, probe: ref, epoch: state.epoch + 1}}
  end

  @impl true
  def handle_cast({:outcome, {:regular, epoch}, outcome}, %{status: :closed, epoch: epoch} = state) do
    case outcome do
      :success ->
        {:noreply, %{state | failures: 0}}

      :failure ->
        failures = state.failures + 1

        if failures >= state.threshold do
          Logger.error("recommendations service failing: #{failures} errors in a row")
          {:noreply, open(state)}
        else
          {:noreply, %{state | failures: failures}}
        end
    end
  end

  def handle_cast({:outcome, {:probe, ref}, outcome}, %{status: :half_open, probe: ref} = state) do
    Process.demonitor(ref, [:flush])

    case outcome do
      :success -> {:noreply, %{state | status: :closed, failures: 0, probe: nil, epoch: state.epoch + 1}}
      :failure -> {:noreply, open(state)}
    end
  end

  def handle_cast({:outcome, _, _}, state), do: {:noreply, state}

  @impl true
  def handle_info({:DOWN, ref, :process, _, _}, %{status: :half_open, probe: ref} = state),
    do: {:noreply, open(state)}

  def handle_info(_, state), do: {:noreply, state}

  defp open(state),
    do: %{state | status: :open, opened_at: state.clock.(), failures: 0, probe: nil, epoch: state.epoch + 1}
end
