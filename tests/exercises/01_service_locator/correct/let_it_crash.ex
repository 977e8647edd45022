# Correct, "let it crash" style: no catch-all clause, so an unknown call is a FunctionClauseError the caller sees.
defmodule Accounts.Users do
  @moduledoc "Signups, lookups and email changes as plain functions of their arguments and deps."

  alias Accounts.Repo

  def create(attrs, %{repo: repo, mailer: mailer}) do
    email = attrs |> Map.get(:email) |> normalize()

    cond do
      not valid?(email) ->
        {:error, :invalid_email}

      taken?(repo, email) ->
        {:error, :email_taken}

      true ->
        {:ok, user} = Repo.insert(repo, %{email: email, name: Map.get(attrs, :name)})
        mailer.(%{to: email, subject: "Welcome to Acme", body: "Hi #{user.name}!"})
        {:ok, user}
    end
  end

  def get(id, %{repo: repo}), do: Repo.get(repo, id)

  def change_email(id, email, %{repo: repo}) do
    email = normalize(email)

    case Repo.get(repo, id) do
      {:ok, user} -> change(repo, user, email)
      {:error, :not_found} -> {:error, :not_found}
    end
  end

  defp change(repo, user, email) do
    cond do
      not valid?(email) -> {:error, :invalid_email}
      taken?(repo, email) -> {:error, :email_taken}
      true -> Repo.update(repo, %{user | email: email})
    end
  end

  defp normalize(email) when is_binary(email), do: email |> String.trim() |> String.downcase()
  defp normalize(_), do: nil

  defp valid?(email), do: is_binary(email) and String.match?(email, ~r/^[^@\s]+@[^@\s]+$/)
  defp taken?(repo, email), do: match?({:ok, _}, Repo.get_by_email(repo, email))
end

defmodule Accounts.Server do
  @moduledoc "Serialises account writes; every operation is a function in `Accounts.Users`."
  use GenServer

  def start_link(opts) do
    {deps, opts} = Keyword.pop!(opts, :deps)
    GenServer.start_link(__MODULE__, deps, opts)
  end

  def create_user(server, attrs), do: GenServer.call(server, {:create_user, attrs})
  def get_user(server, id), do: GenServer.call(server, {:get_user, id})
  def change_email(server, id, email), do: GenServer.call(server, {:change_email, id, email})

  @impl true
  def init(deps), do: {:ok, deps}

  @impl true
  def handle_call({:create_user, attrs}, _from, deps) when is_map(attrs),
    do: {:reply, Accounts.Users.create(attrs, deps), deps}

  def handle_call({:get_user, id}, _from, deps),
    do: {:reply, Accounts.Users.get(id, deps), deps}

  def handle_call({:change_email, id, email}, _from, deps),
    do: {:reply, Accounts.Users.change_email(id, email, deps), deps}
end
