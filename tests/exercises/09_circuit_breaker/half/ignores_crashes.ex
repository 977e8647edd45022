# Half-fix: a good breaker for {:error, _} answers, but an exception (or a killed caller) is never counted: a crashing probe wedges it half-open.
defmodule Storefront.Recommendations do
  @moduledoc false
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))

  def for_user(server, user_id) do
    case GenServer.call(server, :permit) do
      {:go, probe?, fetch} ->
        result = fetch.(user_id)
        GenServer.call(server, {:outcome, probe?, match?({:ok, _}, result)})
        result

      :rejected ->
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
       status: :closed,
       failures: 0,
       opened_at: nil
     }}
  end

  @impl true
  def handle_call(:permit, _from, %{status: :closed} = s), do: {:reply, {:go, false, s.fetch}, s}
  def handle_call(:permit, _from, %{status: :half_open} = s), do: {:reply, :rejected, s}

  def handle_call(:permit, _from, %{status: :open} = s) do
    if s.clock.() - s.opened_at >= s.cooldown,
      do: {:reply, {:go, true, s.fetch}, %{s | status: :half_open}},
      else: {:reply, :rejected, s}
  end

  def handle_call({:outcome, false, true}, _from, %{status: :closed} = s),
    do: {:reply, :ok, %{s | failures: 0}}

  def handle_call({:outcome, false, false}, _from, %{status: :closed} = s) do
    failures = s.failures + 1

    if failures >= s.threshold,
      do: {:reply, :ok, open(s)},
      else: {:reply, :ok, %{s | failures: failures}}
  end

  def handle_call({:outcome, true, true}, _from, %{status: :half_open} = s),
    do: {:reply, :ok, %{s | status: :closed, failures: 0}}

  def handle_call({:outcome, true, false}, _from, %{status: :half_open} = s),
    do: {:reply, :ok, open(s)}

  def handle_call({:outcome, _probe?, _ok?}, _from, s), do: {:reply, :ok, s}

  defp open(s), do: %{s | status: :open, opened_at: s.clock.(), failures: 0}
end
