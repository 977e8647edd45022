defmodule Shop.Shipping do
  @moduledoc """
  The carrier's parcel rates, in integer cents, by destination country (ISO 3166 code).

  Rates outside the EU came from `international_rate/1` until the shop changed carriers; the
  new carrier's are `world_rate/1`.
  """

  @type cents :: non_neg_integer()

  @eu ~w(AT BE DE DK ES FI FR GR IE IT LU NL PL PT SE)

  @doc "True when `country` is in the EU, where the flat EU rates apply."
  @spec eu?(String.t()) :: boolean()
  def eu?(country), do: country in @eu

  @doc "A parcel inside the EU: France (the warehouse's country), then the rest of the EU."
  @spec eu_rate(String.t()) :: cents()
  def eu_rate("FR"), do: 490
  def eu_rate(_country), do: 990

  @doc "A parcel outside the EU: Switzerland, the UK and Norway, then the rest of the world."
  @spec world_rate(String.t()) :: cents()
  def world_rate(country) when country in ~w(CH GB NO), do: 1_990
  def world_rate(_country), do: 2_990
end
