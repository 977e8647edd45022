defmodule Orders.Events do
  @moduledoc """
  Publishes the domain events of a checkout (order placed, stock reserved, invoice
  requested, ...) to the message broker.

  The checkout request calls `publish_all/2` before it answers the customer.

  Options:
    * `:publish` - publishes one event (default `&Orders.Broker.publish/1`)
  """
  require Logger

  def publish_all(events, opts \\ []) do
    publish = Keyword.get(opts, :publish, &Orders.Broker.publish/1)

    # Publishing is slow and the customer should not wait for it: fire and forget.
    Enum.each(events, fn event ->
      Task.start(fn -> publish.(event) end)
    end)

    Logger.debug("publishing #{length(events)} events")
    :ok
  end
end
