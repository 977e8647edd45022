# Correct, different style: a hand-rolled yield: receive the reply by the task's ref with an absolute deadline, demonitor with :flush on an answer, Task.shutdown on timeout; a crash re-raised as the same exception.
defmodule Checkout.Tax do
  @moduledoc false
  require Logger

  @default_timeout 2_000

  def fetch(provider, order, opts \\ []) do
    timeout = Keyword.get(opts, :timeout, @default_timeout)
    %Task{ref: ref} = task = Task.Supervisor.async_nolink(Checkout.TaskSupervisor, fn -> provider.tax(order) end)

    receive do
      {^ref, result} ->
        Process.demonitor(ref, [:flush])
        handle(result, order)

      {:DOWN, ^ref, :process, _pid, {exception, stacktrace}} when is_exception(exception) ->
        reraise exception, stacktrace

      {:DOWN, ^ref, :process, _pid, reason} ->
        exit(reason)
    after
      timeout ->
        case Task.shutdown(task, :brutal_kill) do
          {:ok, result} -> handle(result, order)
          _gone -> {:error, :timeout}
        end
    end
  end

  defp handle({:ok, tax_cents}, _order), do: {:ok, tax_cents}

  defp handle({:error, reason}, order) do
    Logger.warning("tax provider refused order #{order.id}: #{inspect(reason)}")
    {:error, reason}
  end
end
