defmodule Acquirer.Credentials do
  @moduledoc "A merchant's credentials for the acquirer's API."
  @derive {Inspect, only: [:merchant_id]}
  @enforce_keys [:merchant_id, :api_key]
  defstruct [:merchant_id, :api_key]
end

defmodule Acquirer.Gateway do
  @moduledoc """
  The process that talks to the card acquirer for one merchant.

  The key lives in :persistent_term under a reference only this gateway holds; the state keeps
  the reference. The one place the key still passes as data is the rotation message, which
  format_status/1 redacts.
  """
  use GenServer
  require Logger

  @api "https://api.acquirer.example/v1"

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts)

  def charge(gateway, amount_cents, card_token),
    do: GenServer.call(gateway, {:charge, amount_cents, card_token})

  def rotate_key(gateway, new_key), do: GenServer.call(gateway, {:rotate_key, new_key})

  def init(opts) do
    credentials = Keyword.fetch!(opts, :credentials)
    key_ref = {__MODULE__, make_ref()}
    :persistent_term.put(key_ref, credentials.api_key)
    Logger.info("acquirer gateway started with #{inspect(credentials)}")

    {:ok,
     %{merchant_id: credentials.merchant_id, key_ref: key_ref, http: Keyword.fetch!(opts, :http)}}
  end

  def handle_call({:charge, amount_cents, card_token}, _from, state) do
    body = %{merchant: state.merchant_id, amount: amount_cents, source: card_token}

    case post(state, "/charges", :persistent_term.get(state.key_ref), body) do
      {:ok, %{status: 201, body: %{"id" => charge_id}}} ->
        {:reply, {:ok, charge_id}, state}

      {:ok, %{status: 402, body: %{"decline_code" => code}}} ->
        {:reply, {:error, {:declined, code}}, state}

      {:error, reason} ->
        {:reply, {:error, reason}, state}
    end
  end

  def handle_call({:rotate_key, new_key}, _from, state) do
    {:ok, %{status: 200}} = post(state, "/keys/verify", new_key, %{})
    :persistent_term.put(state.key_ref, new_key)
    Logger.info("API key rotated for merchant #{state.merchant_id}")
    {:reply, :ok, state}
  end

  def format_status(%{message: {:rotate_key, _key}} = status),
    do: %{status | message: {:rotate_key, :redacted}}

  def format_status(status), do: status

  defp post(state, path, api_key, body) do
    Logger.debug("POST #{path} body=#{inspect(body)}")
    state.http.post(@api <> path, [{"authorization", "Bearer " <> api_key}], body)
  end
end
