defmodule Acquirer.Credentials do
  @moduledoc "A merchant's credentials for the acquirer's API."
  @enforce_keys [:merchant_id, :api_key]
  defstruct [:merchant_id, :api_key]

  defimpl Inspect do
    def inspect(credentials, _opts),
      do: "#Acquirer.Credentials<merchant_id: #{credentials.merchant_id}, api_key: ***>"
  end
end

defmodule Acquirer.Gateway do
  @moduledoc """
  The process that talks to the card acquirer for one merchant.

  The key never sits in the state or in a message as data: it travels inside a zero-arity
  function, and every printer (inspect, ~p, crash reports, :sys.get_status/1) shows a function
  as `#Function<...>`, never what it closes over. No format_status/1 is needed.
  """
  use GenServer
  require Logger

  @api "https://api.acquirer.example/v1"

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts)

  def charge(gateway, amount_cents, card_token),
    do: GenServer.call(gateway, {:charge, amount_cents, card_token})

  def rotate_key(gateway, new_key), do: GenServer.call(gateway, {:rotate_key, seal(new_key)})

  def init(opts) do
    %Acquirer.Credentials{merchant_id: merchant_id, api_key: api_key} =
      Keyword.fetch!(opts, :credentials)

    Logger.info("acquirer gateway started for merchant #{merchant_id}")
    {:ok, %{merchant_id: merchant_id, api_key: seal(api_key), http: Keyword.fetch!(opts, :http)}}
  end

  def handle_call({:charge, amount_cents, card_token}, _from, state) do
    body = %{merchant: state.merchant_id, amount: amount_cents, source: card_token}

    case post(state.http, "/charges", state.api_key, body) do
      {:ok, %{status: 201, body: %{"id" => charge_id}}} ->
        {:reply, {:ok, charge_id}, state}

      {:ok, %{status: 402, body: %{"decline_code" => code}}} ->
        {:reply, {:error, {:declined, code}}, state}

      {:error, reason} ->
        {:reply, {:error, reason}, state}
    end
  end

  def handle_call({:rotate_key, sealed_key}, _from, state) do
    {:ok, %{status: 200}} = post(state.http, "/keys/verify", sealed_key, %{})
    Logger.info("API key rotated for merchant #{state.merchant_id}")
    {:reply, :ok, %{state | api_key: sealed_key}}
  end

  defp seal(key) when is_binary(key), do: fn -> key end

  defp post(http, path, sealed_key, body) do
    Logger.debug("POST #{path} body=#{inspect(body)}")
    http.post(@api <> path, [{"authorization", "Bearer " <> sealed_key.()}], body)
  end
end
