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

  test "the discount is rounded to the nearest cent, half a cent up" do
    # 11 × 9.99 = 109.89; 10% is 10.989, rounded to 10.99
    assert SeatPrice.total(11, 999) == {:ok, 9_890}
  end
end
