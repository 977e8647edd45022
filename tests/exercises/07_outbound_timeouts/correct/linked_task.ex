# Correct, different style: a linked Task.async (no supervisor), Task.yield then Task.shutdown(task, :brutal_kill); a crash in the client takes the caller down with it.
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
    task = Task.async(fn -> provider.tax(order) end)

    with {:ok, result} <- Task.yield(task, timeout) || Task.shutdown(task, :brutal_kill) || :timeout do
      case result do
        {:ok, tax_cents} ->
          {:ok, tax_cents}

        {:error, reason} ->
          Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
          {:error, reason}
      end
    else
      :timeout -> {:error, :timeout}
      {:exit, reason} -> exit(reason)
    end
  end
end
