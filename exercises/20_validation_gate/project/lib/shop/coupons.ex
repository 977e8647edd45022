defmodule Shop.Coupons do
  @moduledoc """
  The shop's coupon codes: the percent each takes off, and the subtotal (in cents) a cart must
  reach for it to apply.
  """

  @type coupon :: %{percent: 1..100, minimum: non_neg_integer()}

  @coupons %{
    "WELCOME10" => %{percent: 10, minimum: 0},
    "SPRING25" => %{percent: 25, minimum: 10_000}
  }

  @doc "The coupon with this code: `{:ok, coupon}`, or `:error` when there is none."
  @spec fetch(String.t()) :: {:ok, coupon()} | :error
  def fetch(code), do: Map.fetch(@coupons, code)
end
