defmodule Billing.SeatPriceTest do
  use ExUnit.Case, async: true

  alias Billing.SeatPrice

  test "a small team pays seats × unit price" do
    assert SeatPrice.total(3, 1_200) == {:ok, 3_600}
  end

  # The reported bug: 10 seats is the first seat count of the 10% tier.
  test "exactly 10 seats get 10% off (the reported bug)" do
    assert SeatPrice.total(10, 1_200) == {:ok, 10_800}
  end

  test "9 seats still pay full price" do
    assert SeatPrice.total(9, 1_200) == {:ok, 10_800}
  end

  test "49 seats get 10% off, exactly 50 get 20% off" do
    assert SeatPrice.total(49, 1_000) == {:ok, 44_100}
    assert SeatPrice.total(50, 1_000) == {:ok, 40_000}
  end

  test "the discount comes off the subtotal" do
    assert SeatPrice.total(20, 1_000) == {:ok, 18_000}
  end

  test "a seat count below 1 is refused" do
    assert SeatPrice.total(0, 1_200) == {:error, :invalid_seats}
    assert SeatPrice.total(-1, 1_200) == {:error, :invalid_seats}
  end
end
