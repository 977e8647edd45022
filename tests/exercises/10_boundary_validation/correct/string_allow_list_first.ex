# Correct, another style: checks the string against an allow-list of strings first, so String.to_atom only ever sees known values; runtime lookup, nested case.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  @known ~w(label_created picked_up in_transit out_for_delivery delivered returned)

  def decode(body) when is_binary(body) do
    # A compressed term says in its header how big it is once inflated.
    declared =
      case body do
        <<131, 80, size::32, _::binary>> -> size
        _not_compressed -> 0
      end

    if byte_size(body) > 65_536 or declared > 65_536 do
      {:error, :payload_too_large}
    else
      try do
        :erlang.binary_to_term(body, [:safe])
      rescue
        ArgumentError -> {:error, :invalid_payload}
      else
        term -> cast(term)
      end
    end
  end

  def cast(params) do
    case params do
      %{"shipment_id" => id, "status" => status} when is_binary(id) and is_binary(status) ->
        if status in @known do
          {:ok, %{shipment_id: id, status: String.to_atom(status)}}
        else
          {:error, {:unknown_status, status}}
        end

      _ ->
        {:error, :invalid_payload}
    end
  end
end
