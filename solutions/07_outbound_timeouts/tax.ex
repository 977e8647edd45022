defmodule Checkout.Tax do
  @moduledoc """
  Asks the tax provider how much sales tax an order owes, while the customer waits on the
  payment page.

  `provider` is the provider's client module (see `Checkout.TaxProvider`). `fetch/3` returns
  `{:ok, tax_cents}` or `{:error, reason}`; on an error checkout falls back to the tax table
  it ships with.

  Options:

    * `:timeout` - how long the customer may wait for the provider, in milliseconds
      (default 2_000). When it passes, the request is stopped and `{:error, :timeout}` returned.
  """
  require Logger

  # A customer waits on the payment page: after 2 s the fallback tax table is the better answer.
  @default_timeout 2_000

  def fetch(provider, order, opts \\ []) do
    timeout = Keyword.get(opts, :timeout, @default_timeout)

    # Not linked: a crash in the request comes back as {:exit, reason} instead of killing us.
    task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    # Give up after `timeout`, and stop the request when we do: shutdown kills the task and
    # flushes its reply and :DOWN message. If the answer arrived meanwhile, we still get it.
    case Task.yield(task, timeout) || Task.shutdown(task, :brutal_kill) do
      {:ok, {:ok, tax_cents}} ->
        {:ok, tax_cents}

      {:ok, {:error, reason}} ->
        Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
        {:error, reason}

      nil ->
        Logger.warning("tax provider gave no answer for order #{order.id} within #{timeout} ms")
        {:error, :timeout}

      {:exit, reason} ->
        # A bug in the provider client, not a slow provider: crash as it would have.
        exit(reason)
    end
  end
end
