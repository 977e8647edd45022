# Half-fix: the domain moved into Accounts.Users, but change_email/3's `with` lost the starter's `else`: an invalid or taken email comes back as `false` or `{:ok, other_user}`.
defmodule Accounts.Users do
  @moduledoc """
  The accounts domain: plain functions of their arguments and `deps`, no process needed.

  `deps` is a map with `:repo` (an `Accounts.Repo` handle) and `:mailer` (a function that
  delivers one email `%{to: ..., subject: ..., body: ...}`).
  """

  alias Accounts.Repo

  @spec create(map, map) :: {:ok, Repo.user()} | {:error, :invalid_email | :email_taken}
  def create(attrs, deps) do
    email = normalize(Map.get(attrs, :email))

    with :ok <- validate(email),
         :ok <- ensure_free(email, deps) do
      {:ok, user} = Repo.insert(deps.repo, %{email: email, name: attrs[:name]})
      deps.mailer.(%{to: email, subject: "Welcome to Acme", body: "Hi #{user.name}!"})
      {:ok, user}
    end
  end

  @spec get(term, map) :: {:ok, Repo.user()} | {:error, :not_found}
  def get(id, deps), do: Repo.get(deps.repo, id)

  @spec change_email(term, String.t(), map) ::
          {:ok, Repo.user()} | {:error, :not_found | :invalid_email | :email_taken}
  def change_email(id, email, deps) do
    email = normalize(email)

    with {:ok, user} <- Repo.get(deps.repo, id),
         true <- valid?(email),
         {:error, :not_found} <- Repo.get_by_email(deps.repo, email) do
      Repo.update(deps.repo, %{user | email: email})
    end
  end

  defp normalize(email) when is_binary(email), do: email |> String.trim() |> String.downcase()
  defp normalize(_email), do: nil

  defp valid?(email), do: validate(email) == :ok

  defp validate(email) do
    if is_binary(email) and String.match?(email, ~r/^[^@\s]+@[^@\s]+$/),
      do: :ok,
      else: {:error, :invalid_email}
  end

  defp ensure_free(email, deps) do
    case Repo.get_by_email(deps.repo, email) do
      {:ok, _user} -> {:error, :email_taken}
      {:error, :not_found} -> :ok
    end
  end
end

defmodule Accounts.Server do
  @moduledoc """
  The accounts service process. Its one job: run writes one at a time, so two signups with
  the same email cannot both pass the uniqueness check. The domain lives in `Accounts.Users`.

  Messages: `{:create_user, attrs}`, `{:get_user, id}`, `{:change_email, id, email}`.
  Anything else is answered `{:error, :unknown_call}`.
  """
  use GenServer
  require Logger

  alias Accounts.Users

  def start_link(opts) do
    GenServer.start_link(__MODULE__, Keyword.fetch!(opts, :deps), Keyword.take(opts, [:name]))
  end

  def create_user(server, attrs), do: GenServer.call(server, {:create_user, attrs})
  def get_user(server, id), do: GenServer.call(server, {:get_user, id})
  def change_email(server, id, email), do: GenServer.call(server, {:change_email, id, email})

  @impl true
  def init(deps), do: {:ok, %{deps: deps}}

  @impl true
  def handle_call({:create_user, attrs}, _from, state) do
    {:reply, Users.create(attrs, state.deps), state}
  end

  def handle_call({:get_user, id}, _from, state) do
    {:reply, Users.get(id, state.deps), state}
  end

  def handle_call({:change_email, id, email}, _from, state) do
    {:reply, Users.change_email(id, email, state.deps), state}
  end

  def handle_call(request, {pid, _tag}, state) do
    Logger.warning(
      "#{inspect(__MODULE__)} rejected unknown call #{inspect(request)} from #{inspect(pid)}"
    )

    {:reply, {:error, :unknown_call}, state}
  end
end
