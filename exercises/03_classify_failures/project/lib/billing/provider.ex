defmodule Billing.Provider do
  @moduledoc """
  The contract of a payment provider client: the outbound dependency `Billing.Charger` calls.

  A client answers `{:ok, receipt}` when the charge went through, `{:error, :timeout}` when
  the provider did not answer in time, and `{:error, reason}` when it refused the charge.
  A client that raises has a bug: that is not a dependency failure.
  """

  @type receipt :: %{required(:id) => String.t(), optional(atom) => term}

  @callback charge(order_id :: String.t(), amount_cents :: pos_integer) ::
              {:ok, receipt} | {:error, :timeout} | {:error, term}
end
