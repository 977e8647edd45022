# Correct, different style: hand-rolled spawn_monitor, the result carried in the exit reason, an explicit kill and a wait for :DOWN on timeout.
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
    {pid, ref} = spawn_monitor(fn -> exit({:tax_result, provider.tax(order)}) end)

    receive do
      {:DOWN, ^ref, :process, ^pid, {:tax_result, result}} -> handle(result, order)
      {:DOWN, ^ref, :process, ^pid, reason} -> exit(reason)
    after
      timeout ->
        Process.exit(pid, :kill)

        # Wait for it to be gone: this also takes the :DOWN message out of our mailbox.
        receive do
          {:DOWN, ^ref, :process, ^pid, {:tax_result, result}} -> handle(result, order)
          {:DOWN, ^ref, :process, ^pid, _killed} -> {:error, :timeout}
        end
    end
  end

  defp handle({:ok, tax_cents}, _order), do: {:ok, tax_cents}

  defp handle({:error, reason}, order) do
    Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
    {:error, reason}
  end
end
