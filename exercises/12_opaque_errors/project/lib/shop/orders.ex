defmodule Shop.Orders do
  @moduledoc """
  The contract of the order domain: what `Shop.API` calls to place an order.

  `place(params)` takes the params of a `POST /orders` as the client sent them (string keys:
  `"sku"`, `"quantity"`, `"card_number"`, `"cvc"`, `"email"`) and answers one of:

    * `{:ok, %{id: order_id, total_cents: total}}`: the order is placed and the card charged;
    * `{:error, :not_found}`: no product has that SKU;
    * `{:error, {:validation, fields}}`: the params are wrong, `fields` maps each param at
      fault to what is wrong with it (`%{"quantity" => "must be positive"}`);
    * `{:error, :out_of_stock}`: the SKU exists but not in that quantity.

  Anything else is a bug. The domain talks to the inventory and payment servers with
  `GenServer.call/3` and a timeout, so it can also *exit*: a call that times out or a server
  that is not running ends the calling process unless something catches the exit.
  """

  @type params :: %{optional(String.t()) => term}
  @type order :: %{id: String.t(), total_cents: non_neg_integer}
  @type result ::
          {:ok, order}
          | {:error, :not_found}
          | {:error, {:validation, %{optional(String.t()) => String.t()}}}
          | {:error, :out_of_stock}

  @typedoc "The domain function `Shop.API.handle/2` is given (`&Shop.Orders.place/1` in production)."
  @type place_order :: (params -> result)
end
