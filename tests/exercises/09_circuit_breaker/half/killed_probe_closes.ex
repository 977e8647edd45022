# Half-fix: a full breaker, but a probe whose caller is killed closes the circuit instead of opening it again for a new cooldown.
defmodule Storefront.Recommendations do
  @moduledoc """
  Personalised recommendations for product pages, from the recommendations service.

  The service is an outbound dependency: product pages call `for_user/2` and show
  "popular right now" instead whenever it returns an error. One of these processes runs
  per node, in the supervision tree:

      {Storefront.Recommendations, name: Storefront.Recommendations, fetch: &RecsAPI.fetch/1}

  A circuit breaker sits in front of the service. While the circuit is closed every
  request goes through. After `:failure_threshold` failures in a row it opens: requests
  are answered `{:error, :circuit_open}` at once, without touching the service. Once
  `:cooldown_ms` has passed, one request goes through as a probe (half-open) while the
  others are still turned away; the probe's success closes the circuit, its failure opens
  it for another cooldown.

  This process only decides; the service is called from the caller's process, so one slow
  request never holds up the others.

  Options:
    * `:fetch` - calls the service: takes a user id, returns `{:ok, product_ids}` or
      `{:error, reason}` (required)
    * `:name` - the name to register the process under (optional)
    * `:failure_threshold` - failures in a row that open the circuit (default 5)
    * `:cooldown_ms` - how long the circuit stays open before a probe (default 30_000)
    * `:clock` - a function returning the time in milliseconds
      (default `System.monotonic_time(:millisecond)`)
  """
  use GenServer
  require Logger

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  @doc "Product ids recommended to `user_id`, `{:error, reason}`, or `{:error, :circuit_open}`."
  def for_user(server, user_id) do
    case GenServer.call(server, :permit) do
      {:go, role, fetch} -> run(server, role, fetch, user_id)
      :rejected -> {:error, :circuit_open}
    end
  end

  # An exception or exit in the service client counts as a failure, then carries on up.
  defp run(server, role, fetch, user_id) do
    result =
      try do
        fetch.(user_id)
      catch
        :error, reason -> failed(server, role, :error, reason, __STACKTRACE__)
        :exit, reason -> failed(server, role, :exit, reason, __STACKTRACE__)
      end

    GenServer.call(server, {:outcome, role, outcome(result)})
    result
  end

  defp failed(server, role, kind, reason, stacktrace) do
    GenServer.call(server, {:outcome, role, :failure})
    :erlang.raise(kind, reason, stacktrace)
  end

  defp outcome({:ok, _products}), do: :success
  defp outcome(_error), do: :failure

  @impl true
  def init(opts) do
    state = %{
      fetch: Keyword.fetch!(opts, :fetch),
      threshold: Keyword.get(opts, :failure_threshold, 5),
      cooldown: Keyword.get(opts, :cooldown_ms, 30_000),
      clock: Keyword.get(opts, :clock, fn -> System.monotonic_time(:millisecond) end),
      status: :closed,
      failures: 0,
      opened_at: nil,
      probe: nil
    }

    {:ok, state}
  end

  @impl true
  def handle_call(:permit, {caller, _tag}, state) do
    case state.status do
      :closed ->
        {:reply, {:go, :normal, state.fetch}, state}

      :open ->
        if state.clock.() - state.opened_at >= state.cooldown do
          # Half-open: this caller probes. If it dies before reporting, the monitor tells us.
          probe = Process.monitor(caller)

          {:reply, {:go, {:probe, probe}, state.fetch},
           %{state | status: :half_open, probe: probe}}
        else
          {:reply, :rejected, state}
        end

      :half_open ->
        {:reply, :rejected, state}
    end
  end

  def handle_call({:outcome, role, outcome}, _from, state) do
    {:reply, :ok, record(role, outcome, state)}
  end

  @impl true
  def handle_info({:DOWN, probe, :process, _pid, reason}, %{probe: probe} = state) do
    Logger.warning("recommendations probe died before answering: #{inspect(reason)}")
    {:noreply, %{state | status: :closed, failures: 0, probe: nil}}
  end

  def handle_info(_stale, state), do: {:noreply, state}

  defp record(:normal, :success, %{status: :closed} = state), do: %{state | failures: 0}

  defp record(:normal, :failure, %{status: :closed} = state) do
    failures = state.failures + 1
    if failures >= state.threshold, do: open(state), else: %{state | failures: failures}
  end

  defp record({:probe, probe}, outcome, %{probe: probe} = state) do
    Process.demonitor(probe, [:flush])

    case outcome do
      :success ->
        Logger.info("recommendations service is back: circuit closed")
        %{state | status: :closed, failures: 0, probe: nil}

      :failure ->
        open(state)
    end
  end

  # A late answer from a request let through before the circuit opened.
  defp record(_role, _outcome, state), do: state

  defp open(state) do
    Logger.error("recommendations service failing: circuit open for #{state.cooldown} ms")
    %{state | status: :open, opened_at: state.clock.(), failures: 0, probe: nil}
  end
end
