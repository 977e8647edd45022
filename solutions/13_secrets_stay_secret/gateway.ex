defmodule Acquirer.Credentials do
  @moduledoc "A merchant's credentials for the acquirer's API."
  # inspect/1, Logger's crash reports and IEx show the struct without its key.
  @derive {Inspect, except: [:api_key]}
  @enforce_keys [:merchant_id, :api_key]
  defstruct [:merchant_id, :api_key]
end

defmodule Acquirer.Gateway do
  @moduledoc """
  The process that talks to the card acquirer for one merchant: it holds the merchant's
  `Acquirer.Credentials` and signs every request with the API key.

  Options of `start_link/1`: `:credentials` (an `Acquirer.Credentials`) and `:http`, the HTTP
  client module (see `Acquirer.HTTP`). The gateway runs under a supervisor: when the acquirer
  answers something it does not expect, it crashes and is restarted with its credentials.
  """
  use GenServer
  require Logger

  @api "https://api.acquirer.example/v1"
  @redacted "[REDACTED]"

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts)

  @doc "Charges a card: `{:ok, charge_id}`, `{:error, {:declined, code}}` or `{:error, reason}`."
  def charge(gateway, amount_cents, card_token),
    do: GenServer.call(gateway, {:charge, amount_cents, card_token})

  @doc "Switches to a new API key once the acquirer has confirmed that it works."
  def rotate_key(gateway, new_key), do: GenServer.call(gateway, {:rotate_key, new_key})

  def init(opts) do
    credentials = Keyword.fetch!(opts, :credentials)
    Logger.info("acquirer gateway started with #{inspect(credentials)}")
    {:ok, %{credentials: credentials, http: Keyword.fetch!(opts, :http)}}
  end

  def handle_call({:charge, amount_cents, card_token}, _from, state) do
    %{merchant_id: merchant_id, api_key: api_key} = state.credentials
    body = %{merchant: merchant_id, amount: amount_cents, source: card_token}

    case post(state.http, "/charges", api_key, body) do
      {:ok, %{status: 201, body: %{"id" => charge_id}}} ->
        {:reply, {:ok, charge_id}, state}

      {:ok, %{status: 402, body: %{"decline_code" => code}}} ->
        {:reply, {:error, {:declined, code}}, state}

      {:error, reason} ->
        {:reply, {:error, reason}, state}
    end
  end

  def handle_call({:rotate_key, new_key}, _from, state) do
    {:ok, %{status: 200}} = post(state.http, "/keys/verify", new_key, %{})
    Logger.info("API key rotated for merchant #{state.credentials.merchant_id}")
    {:reply, :ok, put_in(state.credentials.api_key, new_key)}
  end

  # OTP (25 and later) calls this to build what :sys.get_status/1 and the crash report show: the
  # state and, in a crash report, the last message, which for a rotation carries the new key.
  # No @impl: format_status/1 is a GenServer callback from Elixir 1.17 on only.
  def format_status(status) do
    status
    |> Map.replace_lazy(:state, &put_in(&1.credentials.api_key, @redacted))
    |> Map.replace_lazy(:message, &redact_message/1)
  end

  defp redact_message({:rotate_key, _new_key}), do: {:rotate_key, @redacted}
  defp redact_message(message), do: message

  defp post(http, path, api_key, body) do
    # The path and body only: the headers carry the key.
    Logger.debug("POST #{path} body=#{inspect(body)}")
    http.post(@api <> path, [{"authorization", "Bearer " <> api_key}], body)
  end
end
