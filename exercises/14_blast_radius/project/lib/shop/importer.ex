defmodule Shop.Importer do
  @moduledoc """
  Imports the supplier's product feed into `Shop.Catalog`: once when it starts, and again on
  `import_now/0`.

  Option of `start_link/1`: `:feed`, a function that fetches the feed, a list of
  `%{"sku" => sku, "price" => cents}`. A malformed row (a price of `"12,50"`) crashes the importer;
  its supervisor restarts it, and it imports again.
  """
  use GenServer

  @sample_feed [%{"sku" => "mug", "price" => 1_250}, %{"sku" => "tee", "price" => 2_400}]

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @doc "Fetches and imports the feed again, in the background."
  def import_now, do: GenServer.cast(__MODULE__, :import)

  @doc "How many products the last import put into the catalogue."
  def imported, do: GenServer.call(__MODULE__, :imported)

  def init(opts) do
    feed = Keyword.get(opts, :feed, fn -> @sample_feed end)
    {:ok, %{feed: feed, imported: 0}, {:continue, :import}}
  end

  def handle_continue(:import, state), do: {:noreply, run(state)}

  def handle_cast(:import, state), do: {:noreply, run(state)}

  def handle_call(:imported, _from, state), do: {:reply, state.imported, state}

  defp run(state) do
    products = Enum.map(state.feed.(), &parse/1)
    :ok = Shop.Catalog.put_products(products)
    %{state | imported: length(products)}
  end

  defp parse(%{"sku" => sku, "price" => cents}) when is_binary(sku) and is_integer(cents),
    do: {sku, cents}
end
