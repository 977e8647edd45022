defmodule Payments.Gateway do
  @moduledoc """
  The contract of the payment gateway client: the outbound dependency refunds go through.

  A refund moves money. The gateway does it every time it is asked, so asking twice pays
  the customer twice.
  """

  @type refund :: %{required(:id) => String.t(), optional(atom) => term}

  @callback refund(charge_id :: String.t(), amount_cents :: pos_integer) ::
              {:ok, refund} | {:error, term}
end
