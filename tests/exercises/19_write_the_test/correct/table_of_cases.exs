defmodule Billing.SeatPriceTest do
  use ExUnit.Case, async: true

  alias Billing.SeatPrice

  # {seats, unit price in cents, expected answer}: every tier edge on both sides, and a price
  # whose discount has a fraction of a cent.
  @cases [
    {1, 1_200, {:ok, 1_200}},
    {3, 1_200, {:ok, 3_600}},
    {9, 1_000, {:ok, 9_000}},
    {10, 1_000, {:ok, 9_000}},
    {11, 999, {:ok, 9_890}},
    {49, 1_000, {:ok, 44_100}},
    {50, 1_000, {:ok, 40_000}},
    {0, 1_000, {:error, :invalid_seats}},
    {-3, 1_000, {:error, :invalid_seats}},
    {5, 0, {:error, :invalid_price}}
  ]

  for {seats, unit, expected} <- @cases do
    test "#{seats} seats at #{unit} cents -> #{inspect(expected)}" do
      assert SeatPrice.total(unquote(seats), unquote(unit)) == unquote(Macro.escape(expected))
    end
  end
end
