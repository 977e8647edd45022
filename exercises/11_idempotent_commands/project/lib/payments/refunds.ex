defmodule Payments.Refunds do
  @moduledoc """
  Refunds a charge, once per idempotency key.

  The HTTP controller reads the `Idempotency-Key` header and calls `create/4`; mobile
  clients retry with the same key whenever they do not see an answer.
  """

  alias Payments.Idempotency

  @doc "Refunds `amount` of `charge_id` through `gateway` (a `Payments.Gateway`)."
  def create(store, gateway, idempotency_key, %{charge_id: charge_id, amount: amount}) do
    Idempotency.run(store, {:refund, idempotency_key}, fn ->
      gateway.refund(charge_id, amount)
    end)
  end
end
