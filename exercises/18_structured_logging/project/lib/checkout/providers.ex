defmodule Checkout.Payments do
  @moduledoc "The payment provider: charges a card."
  @callback charge(amount_cents :: non_neg_integer, card :: String.t()) ::
              {:ok, charge_id :: String.t()} | {:error, reason :: atom}
end

defmodule Checkout.Fraud do
  @moduledoc "The fraud model: scores a request from 0 (fine) to 100 (certainly fraud)."
  @callback score(request :: map) :: 0..100
end
