defmodule Billing.SeatPriceTest do
  use ExUnit.Case, async: true

  alias Billing.SeatPrice

  # The pricing page, written independently: the rate of each seat count, the discount rounded
  # half a cent up.
  defp expected(seats, unit) do
    percent =
      cond do
        seats >= 50 -> 20
        seats >= 10 -> 10
        true -> 0
      end

    subtotal = seats * unit
    {:ok, subtotal - div(subtotal * percent + 50, 100)}
  end

  test "every seat count from 1 to 60, at prices with and without fractions of a cent" do
    for seats <- 1..60, unit <- [999, 1_000, 1_234] do
      assert SeatPrice.total(seats, unit) == expected(seats, unit), "#{seats} seats at #{unit}"
    end
  end

  test "seat counts below 1 are refused" do
    for seats <- [0, -1, -50] do
      assert SeatPrice.total(seats, 1_000) == {:error, :invalid_seats}
    end
  end
end
