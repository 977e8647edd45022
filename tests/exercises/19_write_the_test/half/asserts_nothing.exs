defmodule Billing.SeatPriceTest do
  use ExUnit.Case, async: true

  alias Billing.SeatPrice

  # Runs every case of the report, and checks none of the answers.
  test "the prices of the report" do
    SeatPrice.total(3, 1_200)
    SeatPrice.total(9, 1_200)
    SeatPrice.total(10, 1_200)
    SeatPrice.total(50, 1_000)
    SeatPrice.total(11, 999)
    SeatPrice.total(0, 1_200)
  end
end
