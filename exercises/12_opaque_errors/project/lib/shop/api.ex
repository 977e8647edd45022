defmodule Shop.API do
  @moduledoc """
  The edge of the shop's HTTP API: the router hands each `POST /orders` to `handle/2`, and
  the `{status, body}` it returns goes to the client as it is, the body encoded as JSON.

  `request` is `%{request_id: id, params: params}`: the id the router gave the request, and
  the params as the client sent them, card details included. `place_order` is the domain
  (`&Shop.Orders.place/1` in production; see `Shop.Orders` for what it answers), passed in
  so that tests can replace it. The answers:

    * an order placed: `201`, `%{"order_id" => id, "total_cents" => total}`;
    * `{:error, :not_found}`: `404`, `%{"error" => "not_found"}`;
    * `{:error, {:validation, fields}}`: `422`, `%{"error" => "validation_failed", "fields" => fields}`;
    * `{:error, :out_of_stock}`: `409`, `%{"error" => "out_of_stock"}`.
  """
  require Logger

  def handle(%{request_id: request_id, params: params}, place_order) do
    case place_order.(params) do
      {:ok, order} ->
        {201, %{"order_id" => order.id, "total_cents" => order.total_cents}}

      {:error, :not_found} ->
        {404, %{"error" => "not_found"}}

      {:error, {:validation, fields}} ->
        {422, %{"error" => "validation_failed", "fields" => fields}}

      {:error, :out_of_stock} ->
        {409, %{"error" => "out_of_stock"}}
    end
  rescue
    exception ->
      Logger.error("request #{request_id} failed: " <> Exception.message(exception))
      # Support asked for the details: customers paste the error into their tickets.
      {500, %{"error" => Exception.format(:error, exception, __STACKTRACE__)}}
  end
end
