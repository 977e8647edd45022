# Half-fix: the atom leaks are fixed (allow-list, [:safe] decode) but nothing limits the size of a body: a 1 MB message is decoded in full and accepted.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  @statuses Map.new(Tracking.Shipment.statuses(), &{Atom.to_string(&1), &1})

  def decode(body) when is_binary(body) do
    body |> :erlang.binary_to_term([:safe]) |> cast()
  rescue
    ArgumentError -> {:error, :invalid_payload}
  end

  def cast(%{"shipment_id" => id, "status" => status}) when is_binary(id) and is_binary(status) do
    case Map.fetch(@statuses, status) do
      {:ok, atom} -> {:ok, %{shipment_id: id, status: atom}}
      :error -> {:error, {:unknown_status, status}}
    end
  end

  def cast(_params), do: {:error, :invalid_payload}
end
