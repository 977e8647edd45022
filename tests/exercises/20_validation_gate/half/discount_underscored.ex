defmodule Shop.Checkout do
  @moduledoc """
  Prices a cart at checkout: the lines' subtotal, the coupon's discount, shipping and the total
  to charge. All amounts are integer cents.
  """

  alias Shop.{Coupons, Shipping}

  @type cents :: non_neg_integer()
  @type line :: %{sku: String.t(), price: cents(), qty: pos_integer()}
  @type totals :: %{subtotal: cents(), discount: cents(), shipping: cents(), total: cents()}

  @doc "Prices `lines` shipped to `country`, with a coupon code or `nil`."
  @spec price([line()], String.t(), String.t() | nil) ::
          {:ok, totals()} | {:error, :empty_cart | :unknown_coupon | :below_minimum}
  def price([], _country, _coupon), do: {:error, :empty_cart}

  def price(lines, country, coupon) do
    subtotal = Enum.reduce(lines, 0, fn %{price: price, qty: qty}, acc -> acc + price * qty end)

    case percent_off(coupon, subtotal) do
      {:ok, percent} ->
        discount = div(subtotal * percent, 100)
        _discounted = subtotal - discount
        shipping = shipping(country)
        total = subtotal + shipping
        {:ok, %{subtotal: subtotal, discount: discount, shipping: shipping, total: total}}

      {:error, reason} ->
        {:error, reason}
    end
  end

  @doc "The percent a coupon takes off a cart of `subtotal` cents (0 without a coupon)."
  @spec percent_off(String.t() | nil, cents()) ::
          {:ok, 0..100} | {:error, :unknown_coupon | :below_minimum}
  def percent_off(nil, _subtotal), do: {:ok, 0}

  def percent_off(code, subtotal) do
    case Coupons.fetch(code) do
      {:ok, %{percent: percent, minimum: minimum}} when subtotal >= minimum -> {:ok, percent}
      {:ok, _too_small} -> {:error, :below_minimum}
      :error -> {:error, :unknown_coupon}
    end
  end

  defp shipping(country) do
    if Shipping.eu?(country),
      do: Shipping.eu_rate(country),
      else: Shipping.world_rate(country)
  end
end
