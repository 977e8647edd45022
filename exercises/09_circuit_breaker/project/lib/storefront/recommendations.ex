defmodule Storefront.Recommendations do
  @moduledoc """
  Personalised recommendations for product pages, from the recommendations service.

  The service is an outbound dependency: product pages call `for_user/2` and show
  "popular right now" instead whenever it returns an error. One of these processes runs
  per node, in the supervision tree:

      {Storefront.Recommendations, name: Storefront.Recommendations, fetch: &RecsAPI.fetch/1}

  Options:
    * `:fetch` - calls the service: takes a user id, returns `{:ok, product_ids}` or
      `{:error, reason}` (required)
    * `:name` - the name to register the process under (optional)
    * `:failure_threshold` - after this many failures in a row, on-call is alerted (default 5)
  """
  use GenServer
  require Logger

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, Keyword.take(opts, [:name]))
  end

  @doc "Product ids recommended to `user_id`, or `{:error, reason}`."
  def for_user(server, user_id) do
    # The call to the service runs in the caller: one slow request never holds up the others.
    fetch = GenServer.call(server, :fetch_fun)
    result = fetch.(user_id)
    GenServer.cast(server, {:outcome, result})
    result
  end

  @impl true
  def init(opts) do
    state = %{
      fetch: Keyword.fetch!(opts, :fetch),
      threshold: Keyword.get(opts, :failure_threshold, 5),
      failures: 0
    }

    {:ok, state}
  end

  @impl true
  def handle_call(:fetch_fun, _from, state), do: {:reply, state.fetch, state}

  @impl true
  def handle_cast({:outcome, {:ok, _products}}, state), do: {:noreply, %{state | failures: 0}}

  def handle_cast({:outcome, {:error, reason}}, state) do
    failures = state.failures + 1

    if failures == state.threshold do
      Logger.error(
        "recommendations service failing: #{failures} errors in a row, last #{inspect(reason)}"
      )
    end

    {:noreply, %{state | failures: failures}}
  end
end
