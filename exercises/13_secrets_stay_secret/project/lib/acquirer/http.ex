defmodule Acquirer.HTTP do
  @moduledoc """
  The contract of the HTTP client `Acquirer.Gateway` calls: the card acquirer's API.

  `post/3` sends a request and answers `{:ok, %{status: status, body: body}}` with the decoded
  body, or `{:error, reason}` when no answer came back (a timeout, a refused connection).

  The acquirer authenticates every request by its `authorization` header,
  `{"authorization", "Bearer " <> api_key}`: whoever has the key can charge cards as the merchant.
  """

  @type header :: {String.t(), String.t()}
  @type response :: %{status: pos_integer, body: term}

  @callback post(url :: String.t(), headers :: [header], body :: map) ::
              {:ok, response} | {:error, term}
end
