# Half-fix: kills the request on timeout but keeps the monitor, so a :DOWN message lands in the caller's mailbox after every timeout.
defmodule Checkout.Tax do
  @moduledoc """
  Asks the tax provider how much sales tax an order owes, while the customer waits on the
  payment page.

  `provider` is the provider's client module (see `Checkout.TaxProvider`). `fetch/3` returns
  `{:ok, tax_cents}` or `{:error, reason}`; on an error checkout falls back to the tax table
  it ships with.

  Options:

    * `:timeout` - how long the customer may wait for the provider, in milliseconds
  """
  require Logger

  @default_timeout 2_000

  def fetch(provider, order, opts \\ []) do
    timeout = Keyword.get(opts, :timeout, @default_timeout)
    task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    case Task.yield(task, timeout) do
      {:ok, {:ok, tax_cents}} ->
        {:ok, tax_cents}

      {:ok, {:error, reason}} ->
        Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
        {:error, reason}

      {:exit, reason} ->
        exit(reason)

      nil ->
        Process.exit(task.pid, :kill)
        {:error, :timeout}
    end
  end
end
