# Half-fix: a full breaker that counts an exception as a failure, then turns it into an {:error, _} answer: the bug never reaches the caller.
defmodule Storefront.Recommendations do
  @moduledoc false
  use GenServer
  require Logger

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))

  def for_user(server, user_id) do
    case GenServer.call(server, :permit) do
      {:go, role, fetch} -> run(server, role, fetch, user_id)
      :rejected -> {:error, :circuit_open}
    end
  end

  defp run(server, role, fetch, user_id) do
    result =
      try do
        fetch.(user_id)
      catch
        kind, reason ->
          Logger.error("recommendations client crashed: #{Exception.format(kind, reason)}")
          {:error, {:client_crashed, reason}}
      end

    report(server, role, if(match?({:ok, _}, result), do: :success, else: :failure))
    result
  end

  defp report(server, role, outcome), do: GenServer.call(server, {:outcome, role, outcome})

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
       probe: nil
     }}
  end

  @impl true
  def handle_call(:permit, _from, %{status: :closed} = s),
    do: {:reply, {:go, :regular, s.fetch}, s}

  def handle_call(:permit, _from, %{status: :half_open} = s), do: {:reply, :rejected, s}

  def handle_call(:permit, {caller, _}, %{status: :open} = s) do
    if s.clock.() - s.opened_at >= s.cooldown do
      probe = Process.monitor(caller)
      {:reply, {:go, {:probe, probe}, s.fetch}, %{s | status: :half_open, probe: probe}}
    else
      {:reply, :rejected, s}
    end
  end

  def handle_call({:outcome, :regular, :success}, _from, %{status: :closed} = s),
    do: {:reply, :ok, %{s | failures: 0}}

  def handle_call({:outcome, :regular, :failure}, _from, %{status: :closed} = s) do
    failures = s.failures + 1

    if failures >= s.threshold,
      do: {:reply, :ok, open(s)},
      else: {:reply, :ok, %{s | failures: failures}}
  end

  def handle_call({:outcome, {:probe, probe}, outcome}, _from, %{probe: probe} = s) do
    Process.demonitor(probe, [:flush])

    if outcome == :success,
      do: {:reply, :ok, %{s | status: :closed, failures: 0, probe: nil}},
      else: {:reply, :ok, open(s)}
  end

  # A late report from a request let through before the circuit opened.
  def handle_call({:outcome, _role, _outcome}, _from, s), do: {:reply, :ok, s}

  @impl true
  def handle_info({:DOWN, probe, :process, _, _}, %{probe: probe} = s), do: {:noreply, open(s)}
  def handle_info(_other, s), do: {:noreply, s}

  defp open(s) do
    Logger.error("recommendations service failing: circuit open for #{s.cooldown} ms")
    %{s | status: :open, opened_at: s.clock.(), failures: 0, probe: nil}
  end
end
