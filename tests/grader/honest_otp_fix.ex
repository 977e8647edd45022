defmodule Billing.Charger do
  @moduledoc "A correct fix that leans on much of OTP, to show the allowlist admits honest designs."
  require Logger

  defmodule Ledger do
    use GenServer
    def start_link(registry), do: GenServer.start_link(__MODULE__, :ok, name: {:via, Registry, {registry, :ledger}})
    @impl true
    def init(:ok), do: {:ok, %{}}
    @impl true
    def handle_call({:record, id, result}, _from, state), do: {:reply, :ok, Map.put(state, id, result)}
  end

  defmodule Tree do
    use Supervisor
    def start_link(registry), do: Supervisor.start_link(__MODULE__, registry)
    @impl true
    def init(registry) do
      children = [
        {Registry, keys: :unique, name: registry},
        {DynamicSupervisor, strategy: :one_for_one},
        {Task.Supervisor, []},
        %{id: :ledger, start: {Ledger, :start_link, [registry]}}
      ]

      Supervisor.init(children, strategy: :rest_for_one)
    end
  end

  def charge(provider, order) do
    registry = Billing.Charger.Registry
    {:ok, tree} = Tree.start_link(registry)

    try do
      charge(provider, order, tree, registry)
    after
      Supervisor.stop(tree)
    end
  end

  defp charge(provider, %{id: id, total_cents: amount}, tree, registry) do
    children = Supervisor.which_children(tree)
    {_, dynamic, _, _} = List.keyfind(children, DynamicSupervisor, 0)
    {_, tasks, _, _} = List.keyfind(children, Task.Supervisor, 0)
    {:ok, counter} = DynamicSupervisor.start_child(dynamic, {Agent, fn -> 0 end})
    Agent.update(counter, &(&1 + 1))
    table = :ets.new(:charges, [:set, :public, read_concurrency: true])
    :persistent_term.put({__MODULE__, :table}, table)
    hits = :atomics.new(1, [])
    :atomics.add(hits, 1, 1)
    Process.send_after(self(), :tick, 0)
    receive do: (:tick -> :ok)
    {:message_queue_len, _} = Process.info(self(), :message_queue_len)
    "X" = tasks |> Task.Supervisor.async_nolink(String, :upcase, ["x"]) |> Task.await()
    crashing = Task.Supervisor.async_nolink(tasks, Map, :fetch!, [%{}, :missing])
    {:exit, {{:badkey, :missing}, _stack}} = Task.yield(crashing, 5_000) || Task.shutdown(crashing, :brutal_kill)

    module = __MODULE__
    classified = module.classify(provider.charge(id, amount))
    :ok = GenServer.call({:via, Registry, {registry, :ledger}}, {:record, id, classified})
    [{_ledger, _}] = Registry.lookup(registry, :ledger)
    true = :ets.insert(:persistent_term.get({__MODULE__, :table}), {id, classified})
    :persistent_term.erase({__MODULE__, :table})
    :ets.delete(table)
    apply(Logger, :bare_log, [:info, "charged #{id}"])
    classified
  end

  def classify({:ok, receipt}), do: {:ok, receipt}
  def classify({:error, :timeout}), do: {:error, :dependency_timeout}
  def classify({:error, reason}), do: {:error, {:dependency_failed, reason}}
end
