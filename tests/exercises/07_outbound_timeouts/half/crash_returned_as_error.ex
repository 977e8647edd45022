# Half-fix: a deadline and a stop, and the {:exit, reason} outcome is reported as an error: a bug in the client becomes a quiet fallback to the tax table.
defmodule Checkout.Tax do
  @moduledoc false
  require Logger

  @default_timeout 2_000

  def fetch(provider, order, opts \\ []) do
    timeout = Keyword.get(opts, :timeout, @default_timeout)
    task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    case Task.yield(task, timeout) || Task.shutdown(task, :brutal_kill) do
      {:ok, {:ok, tax_cents}} ->
        {:ok, tax_cents}

      {:ok, {:error, reason}} ->
        Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
        {:error, reason}

      nil ->
        {:error, :timeout}

      {:exit, reason} ->
        Logger.error("tax provider client crashed on order #{order.id}: #{inspect(reason)}")
        {:error, {:provider_crashed, reason}}
    end
  end
end
