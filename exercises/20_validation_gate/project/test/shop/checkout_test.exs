defmodule Shop.CheckoutTest do
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

  @tag points: 1
  test "a cart without a coupon costs its lines plus shipping" do
    assert price(@cart, "FR", nil) ==
             {:ok, %{subtotal: 4_500, discount: 0, shipping: 490, total: 4_990}}

    assert price(@cart, "DE", nil) ==
             {:ok, %{subtotal: 4_500, discount: 0, shipping: 990, total: 5_490}}
  end

  @tag points: 1
  test "an empty cart is refused with {:error, :empty_cart}" do
    assert price([], "FR", "WELCOME10") == {:error, :empty_cart}
  end

  @tag points: 3
  test "a coupon's discount is taken off the total the customer is charged" do
    result = price(@cart, "FR", "WELCOME10")

    assert result == {:ok, %{subtotal: 4_500, discount: 450, shipping: 490, total: 4_540}},
           "WELCOME10 takes 10% (4.50) off a 45.00 cart shipped to France for 4.90: the total is " <>
             "45.00 - 4.50 + 4.90 = 45.40 (4_540 cents), but price/3 #{shown(result)}. A quote that " <>
             "shows the discount and charges the full price: the compiler's warning that a variable " <>
             "is unused pointed at this bug, and prefixing the variable with _ only hides it"
  end

  @tag points: 3
  test "an unknown coupon code is answered {:error, :unknown_coupon}, not raised" do
    result = price(@cart, "FR", "FREE-STUFF")

    assert result == {:error, :unknown_coupon},
           "a customer who types a coupon code that does not exist gets an error to show, not a crash of " <>
             "the checkout: price/3 #{shown(result)}. percent_off/2 answers {:error, reason}, as its " <>
             "@spec says (Dialyzer found the case clause that can never match it)"
  end
end
