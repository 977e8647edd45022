defmodule Tracking.Shipment do
  @moduledoc """
  The shipment domain. A shipment's status is one of a fixed set of atoms: domain code
  matches on them and never sees the carrier's raw strings.
  """

  @statuses [:label_created, :picked_up, :in_transit, :out_for_delivery, :delivered, :returned]

  @type status ::
          :label_created | :picked_up | :in_transit | :out_for_delivery | :delivered | :returned

  @doc "Every status a shipment can have."
  @spec statuses() :: [status]
  def statuses, do: @statuses
end
