defmodule Billing.SeatPriceTest do
  use ExUnit.Case, async: true

  alias Billing.SeatPrice

  test "a small team pays seats × unit price" do
    assert SeatPrice.total(3, 1_200) == {:ok, 3_600}
  end
end
