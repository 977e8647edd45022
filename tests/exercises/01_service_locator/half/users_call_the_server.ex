# Half-fix: an Accounts.Users facade that still routes every function through the registered server.
defmodule Accounts.Users do
  @moduledoc "Domain API (delegates to the accounts server)."
  def create(attrs, _deps), do: Accounts.Server.create_user(Accounts.Server, attrs)
  def get(id, _deps), do: Accounts.Server.get_user(Accounts.Server, id)
  def change_email(id, email, _deps), do: Accounts.Server.change_email(Accounts.Server, id, email)
end

defmodule Accounts.Server do
  @moduledoc """
  The accounts service: signups, lookups and email changes.

  Every request goes through this one process. It runs one request at a time, so two
  signups with the same email cannot both pass the uniqueness check.

  Start it with `start_link(deps: deps)`, where `deps` is a map with
  `:repo` (an `Accounts.Repo` handle) and `:mailer` (a function that delivers one email
  `%{to: ..., subject: ..., body: ...}`).
  """
  use GenServer

  def start_link(opts) do
    GenServer.start_link(__MODULE__, Keyword.fetch!(opts, :deps), Keyword.take(opts, [:name]))
  end

  def create_user(server, attrs), do: run(server, %{op: :create_user, attrs: attrs})
  def get_user(server, id), do: run(server, %{op: :get_user, id: id})
  def change_email(server, id, email), do: run(server, %{op: :change_email, id: id, email: email})

  def run(server, payload), do: GenServer.call(server, {:do_everything, payload})

  @impl true
  def init(deps), do: {:ok, %{deps: deps, requests: 0}}

  @impl true
  def handle_call({:do_everything, payload}, _from, state) do
    result = Accounts.Core.run(payload, state)
    {:reply, result, %{state | requests: state.requests + 1}}
  end
end

defmodule Accounts.Core do
  @moduledoc false
  # Everything the accounts service does, one clause per `op`. New features go here.

  def run(%{op: :create_user, attrs: attrs}, %{deps: deps}) do
    email = normalize(Map.get(attrs, :email))

    cond do
      not valid_email?(email) ->
        {:error, :invalid_email}

      match?({:ok, _}, Accounts.Repo.get_by_email(deps.repo, email)) ->
        {:error, :email_taken}

      true ->
        {:ok, user} = Accounts.Repo.insert(deps.repo, %{email: email, name: attrs[:name]})
        deps.mailer.(%{to: email, subject: "Welcome to Acme", body: "Hi #{user.name}!"})
        {:ok, user}
    end
  end

  def run(%{op: :get_user, id: id}, %{deps: deps}), do: Accounts.Repo.get(deps.repo, id)

  def run(%{op: :change_email, id: id, email: email}, %{deps: deps}) do
    email = normalize(email)

    with {:ok, user} <- Accounts.Repo.get(deps.repo, id),
         true <- valid_email?(email) || {:error, :invalid_email},
         {:error, :not_found} <- Accounts.Repo.get_by_email(deps.repo, email) do
      Accounts.Repo.update(deps.repo, %{user | email: email})
    else
      {:ok, _other_user} -> {:error, :email_taken}
      {:error, reason} -> {:error, reason}
    end
  end

  def run(_payload, _state), do: :ok

  defp normalize(email) when is_binary(email), do: email |> String.trim() |> String.downcase()
  defp normalize(_email), do: nil

  defp valid_email?(email), do: is_binary(email) and String.match?(email, ~r/^[^@\s]+@[^@\s]+$/)
end
