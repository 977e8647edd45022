# Correct, another style: String.to_existing_atom (rescuing its ArgumentError) then an allow-list check, in a `with` chain.
defmodule Tracking.StatusEvent do
  @moduledoc """
  The boundary for carrier status events: raw input in, a checked event out.
  See the exercise for the full contract.
  """

  alias Tracking.Shipment

  @limit 65_536

  def decode(body) when is_binary(body) do
    with :ok <- check_size(body),
         {:ok, term} <- safe_decode(body) do
      cast(term)
    end
  end

  def cast(params) when is_map(params) do
    with {:ok, id} <- fetch_string(params, "shipment_id"),
         {:ok, raw} <- fetch_string(params, "status"),
         {:ok, status} <- known_status(raw) do
      {:ok, %{shipment_id: id, status: status}}
    end
  end

  def cast(_params), do: {:error, :invalid_payload}

  # A compressed term declares the size it inflates to: refuse it on that, before decoding.
  defp check_size(<<131, 80, decoded_size::32, _::binary>>) when decoded_size > @limit,
    do: {:error, :payload_too_large}

  defp check_size(body) do
    if byte_size(body) <= @limit, do: :ok, else: {:error, :payload_too_large}
  end

  defp safe_decode(body) do
    {:ok, :erlang.binary_to_term(body, [:safe])}
  rescue
    ArgumentError -> {:error, :invalid_payload}
  end

  defp fetch_string(params, key) do
    case Map.get(params, key) do
      value when is_binary(value) -> {:ok, value}
      _missing_or_not_a_string -> {:error, :invalid_payload}
    end
  end

  defp known_status(raw) do
    atom = String.to_existing_atom(raw)
    if atom in Shipment.statuses(), do: {:ok, atom}, else: {:error, {:unknown_status, raw}}
  rescue
    ArgumentError -> {:error, {:unknown_status, raw}}
  end
end
