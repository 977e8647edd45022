defmodule Orders.Broker do
  @moduledoc """
  The client of the message broker that other services read order events from.

  `publish/1` sends one event and waits for the broker's acknowledgement. It usually takes a
  few milliseconds; when the broker is struggling it can take seconds, or raise when the
  connection drops. (This stand-in only simulates the round trip.)
  """
  require Logger

  @spec publish(map) :: :ok
  def publish(%{type: type, order_id: order_id}) do
    Process.sleep(5)
    Logger.debug("published #{type} for order #{order_id}")
    :ok
  end
end
