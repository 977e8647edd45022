defmodule Billing.SeatPriceTest do
  use ExUnit.Case, async: true

  alias Billing.SeatPrice

  test "a small team pays seats × unit price" do
    assert SeatPrice.total(3, 1_200) == {:ok, 3_600}
  end

  test "exactly 10 seats get 10% off (the reported bug)" do
    assert SeatPrice.total(10, 1_200) == {:ok, 10_800}
  end
end
