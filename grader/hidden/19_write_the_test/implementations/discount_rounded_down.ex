defmodule Billing.SeatPrice do
  @moduledoc """
  The monthly price of a team plan, in integer cents.

  The subtotal is seats × unit price. Volume discount: 10 to 49 seats get 10% off, 50 seats or
  more get 20% off. The discount is rounded to the nearest cent, half a cent up. A seat count
  or a unit price below 1 is refused.
  """

  @doc "The total for `seats` seats at `unit_cents` each: `{:ok, cents}` or `{:error, reason}`."
  def total(seats, _unit_cents) when not (is_integer(seats) and seats >= 1), do: {:error, :invalid_seats}
  def total(_seats, unit_cents) when not (is_integer(unit_cents) and unit_cents >= 1), do: {:error, :invalid_price}

  def total(seats, unit_cents) do
    subtotal = seats * unit_cents
    {:ok, subtotal - discount(subtotal, percent_off(seats))}
  end

  defp percent_off(seats) when seats >= 50, do: 20
  defp percent_off(seats) when seats >= 10, do: 10
  defp percent_off(_seats), do: 0

  defp discount(subtotal, percent), do: div(subtotal * percent, 100)
end
