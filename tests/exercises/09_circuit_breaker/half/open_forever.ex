# Half-fix: opens after N failures in a row, but has no cooldown and no probe: once open it never lets a request through again.
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
       failures: 0
     }}
  end

  @impl true
  def handle_call(:permit, _from, %{failures: f, threshold: t} = state) when f >= t,
    do: {:reply, :open, state}

  def handle_call(:permit, _from, state), do: {:reply, {:go, state.fetch}, state}

  def handle_call({:outcome, {:ok, _}}, _from, state), do: {:reply, :ok, %{state | failures: 0}}

  def handle_call({:outcome, _error}, _from, state),
    do: {:reply, :ok, %{state | failures: state.failures + 1}}
end
