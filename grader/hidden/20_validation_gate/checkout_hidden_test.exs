defmodule Shop.CheckoutHiddenTest do
  use ExUnit.Case, async: true

  alias Shop.Checkout

  # 2 mugs at 12.50 and a T-shirt at 20.00: a subtotal of 45.00.
  @cart [%{sku: "MUG-01", price: 1_250, qty: 2}, %{sku: "TEE-M", price: 2_000, qty: 1}]

  # What price/3 answers, or {:raised, exception} when it raises instead.
  defp price(lines, country, coupon) do
    Checkout.price(lines, country, coupon)
  rescue
    exception -> {:raised, exception}
  end

  defp shown({:raised, exception}),
    do: "raised #{inspect(exception.__struct__)}: #{Exception.message(exception)}"

  defp shown(result), do: "returned #{inspect(result)}"

  @tag points: 3
  test "a cart shipped outside the EU is priced with the carrier's world rate" do
    for {country, rate} <- [{"CH", 1_990}, {"US", 2_990}] do
      result = price(@cart, country, nil)
      expected = {:ok, %{subtotal: 4_500, discount: 0, shipping: rate, total: 4_500 + rate}}

      assert result == expected,
             "a cart shipped to #{country} costs #{rate} cents of shipping (Shop.Shipping.world_rate/1), " <>
               "but price/3 #{shown(result)}. The compiler warned that the function this branch " <>
               "calls does not exist: a call to an undefined function raises the day a customer reaches it"
    end
  end

  @tag points: 2
  test "a coupon the cart is too small for is answered {:error, :below_minimum}" do
    result = price(@cart, "FR", "SPRING25")

    assert result == {:error, :below_minimum},
           "SPRING25 needs a subtotal of 100.00 and this cart is 45.00: percent_off/2 answers " <>
             "{:error, :below_minimum}, and price/3 passes that reason on as it is, but it #{shown(result)}"
  end

  @tag points: 1
  test "a discount is rounded down to the cent and shipping is not discounted" do
    lines = [%{sku: "JACKET-L", price: 8_999, qty: 1}, %{sku: "TEE-M", price: 2_000, qty: 2}]
    result = price(lines, "US", "SPRING25")

    # 25% of 129.99 is 32.4975: 32.49 off.
    expected = {:ok, %{subtotal: 12_999, discount: 3_249, shipping: 2_990, total: 12_740}}

    assert result == expected,
           "SPRING25 takes 25% of a 129.99 cart, rounded down (32.49), and shipping to the US (29.90) " <>
             "is paid in full: 129.99 - 32.49 + 29.90 = 127.40, but price/3 #{shown(result)}"
  end
end
