# Half-fix (done means 1): a timed-out call is tried once more, so {:error, :timeout} comes only after twice the caller's :timeout.
defmodule Checkout.Tax do
  @moduledoc false
  require Logger

  @default_timeout 2_000

  def fetch(provider, order, opts \\ []) do
    timeout = Keyword.get(opts, :timeout, @default_timeout)
    # A hung connection is often a fluke: one more try on a fresh connection.
    attempt(provider, order, timeout, 2)
  end

  defp attempt(provider, order, timeout, tries_left) do
    task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    case Task.yield(task, timeout) || Task.shutdown(task, :brutal_kill) do
      {:ok, {:ok, tax_cents}} ->
        {:ok, tax_cents}

      {:ok, {:error, reason}} ->
        Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
        {:error, reason}

      {:exit, reason} ->
        exit(reason)

      nil when tries_left > 1 ->
        attempt(provider, order, timeout, tries_left - 1)

      nil ->
        {:error, :timeout}
    end
  end
end
