# Correct, another style: the status is found at run time among Tracking.Shipment.statuses/0 by comparing strings, the decode catches any :error (not just ArgumentError), the sizes (the body's, and the one a compressed body declares) are cond branches, and extra keys are ignored.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  alias Tracking.Shipment

  @max 65_536

  def decode(body) when is_binary(body) do
    cond do
      byte_size(body) > @max ->
        {:error, :payload_too_large}

      match?(<<131, 80, inflated::32, _::binary>> when inflated > @max, body) ->
        {:error, :payload_too_large}

      true ->
        try do
          :erlang.binary_to_term(body, [:safe])
        catch
          :error, _reason -> {:error, :invalid_payload}
        else
          term -> cast(term)
        end
    end
  end

  def cast(params) when is_map(params) do
    id = Map.get(params, "shipment_id")
    raw = Map.get(params, "status")

    if is_binary(id) and is_binary(raw) do
      case Enum.find(Shipment.statuses(), fn known -> Atom.to_string(known) == raw end) do
        nil -> {:error, {:unknown_status, raw}}
        status -> {:ok, %{shipment_id: id, status: status}}
      end
    else
      {:error, :invalid_payload}
    end
  end

  def cast(_not_a_map), do: {:error, :invalid_payload}
end
