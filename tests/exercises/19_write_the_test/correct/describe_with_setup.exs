defmodule Billing.SeatPriceTest do
  use ExUnit.Case, async: true

  alias Billing.SeatPrice

  setup do
    %{unit: 2_000}
  end

  describe "the 10% tier" do
    test "starts at exactly 10 seats (the reported bug)", %{unit: unit} do
      assert {:ok, 18_000} = SeatPrice.total(10, unit)
    end

    test "does not start at 9 seats", %{unit: unit} do
      assert {:ok, total} = SeatPrice.total(9, unit)
      assert total == 9 * unit
    end

    test "ends at 49 seats", %{unit: unit} do
      assert SeatPrice.total(49, unit) == {:ok, 88_200}
    end
  end

  describe "the 20% tier" do
    setup %{unit: unit}, do: %{seats: 50, subtotal: 50 * unit}

    test "starts at exactly 50 seats", %{unit: unit, seats: seats, subtotal: subtotal} do
      assert SeatPrice.total(seats, unit) == {:ok, subtotal - div(subtotal, 5)}
    end
  end

  describe "rounding" do
    test "a discount of 10.989 is 10.99, not 10.98" do
      assert SeatPrice.total(11, 999) == {:ok, 9_890}
      refute SeatPrice.total(11, 999) == {:ok, 9_891}
    end
  end

  describe "refused input" do
    test "no seats is not free" do
      assert SeatPrice.total(0, 2_000) == {:error, :invalid_seats}
    end
  end
end
