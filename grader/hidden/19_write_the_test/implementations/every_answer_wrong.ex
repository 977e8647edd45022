defmodule Billing.SeatPrice do
  @moduledoc false

  # The sentinel: every answer is wrong. Tests that pass on it check nothing.
  def total(_seats, _unit_cents), do: {:ok, -1}
end
