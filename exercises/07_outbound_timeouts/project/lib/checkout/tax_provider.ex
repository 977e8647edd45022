defmodule Checkout.TaxProvider do
  @moduledoc """
  The contract of a tax provider client: the outbound dependency `Checkout.Tax` calls.

  `tax/1` makes an HTTPS request to the provider's API and answers `{:ok, tax_cents}`, or
  `{:error, reason}` when the provider refuses the order (an address it cannot place, ...).
  It can be slow: the provider is overloaded at month end, a connection hangs half-open.
  A client that raises has a bug.
  """

  @type order :: %{required(:id) => String.t(), required(:total_cents) => pos_integer}

  @callback tax(order) :: {:ok, non_neg_integer} | {:error, term}
end
