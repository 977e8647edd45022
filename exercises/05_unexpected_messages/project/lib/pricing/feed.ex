defmodule Pricing.Feed do
  @moduledoc """
  The market-data feed client, simplified: it decodes the vendor's frames and forwards each
  one to the subscribed process as a plain message.

  What a subscriber is sent:

    * `{:quote, symbol, price}` - a trade happened at `price` (integer cents)
    * `:feed_reset` - the connection was re-established: earlier prices are stale

  Since the vendor's protocol v2 the feed also forwards, whether you asked or not:

    * `{:heartbeat, sequence}` - once a second, to prove the connection is alive
    * `{:trading_halt, symbol}` - the exchange halted trading in `symbol`
  """

  @doc "Forwards `frames` (already decoded) to `subscriber`, in order."
  def replay(subscriber, frames) do
    Enum.each(frames, &send(subscriber, &1))
  end
end
