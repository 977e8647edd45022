# Correct, another style: a state struct, the rules split into small public functions, and an unknown call
# raised as an ArgumentError (the server crashes, the caller sees the exit, a supervisor would restart it).
defmodule Accounts.Users do
  @moduledoc "Accounts domain: signups, lookups, email changes. Pure functions of their arguments and deps."

  alias Accounts.Repo

  @email ~r/^[^@\s]+@[^@\s]+$/

  def create(attrs, deps) do
    with {:ok, email} <- clean_email(attrs[:email]),
         :ok <- available(email, deps.repo) do
      {:ok, user} = Repo.insert(deps.repo, %{email: email, name: attrs[:name]})
      _ = deps.mailer.(%{to: user.email, subject: "Welcome to Acme", body: "Hi #{user.name}!"})
      {:ok, user}
    end
  end

  def get(id, deps), do: Repo.get(deps.repo, id)

  def change_email(id, new_email, deps) do
    with {:ok, user} <- get(id, deps),
         {:ok, email} <- clean_email(new_email),
         :ok <- available(email, deps.repo) do
      Repo.update(deps.repo, Map.put(user, :email, email))
    end
  end

  def clean_email(email) when is_binary(email) do
    email = email |> String.trim() |> String.downcase()
    if Regex.match?(@email, email), do: {:ok, email}, else: {:error, :invalid_email}
  end

  def clean_email(_other), do: {:error, :invalid_email}

  def available(email, repo) do
    if match?({:ok, _}, Repo.get_by_email(repo, email)), do: {:error, :email_taken}, else: :ok
  end
end

defmodule Accounts.Server do
  @moduledoc "Runs account writes one at a time and delegates every rule to Accounts.Users."
  use GenServer

  defstruct [:deps]

  def start_link(opts) do
    deps = Keyword.fetch!(opts, :deps)

    case Keyword.fetch(opts, :name) do
      {:ok, name} -> GenServer.start_link(__MODULE__, deps, name: name)
      :error -> GenServer.start_link(__MODULE__, deps)
    end
  end

  def create_user(server, attrs), do: GenServer.call(server, {:create_user, attrs})
  def get_user(server, id), do: GenServer.call(server, {:get_user, id})
  def change_email(server, id, email), do: GenServer.call(server, {:change_email, id, email})

  @impl true
  def init(deps), do: {:ok, %__MODULE__{deps: deps}}

  @impl true
  def handle_call({:create_user, attrs}, _from, %__MODULE__{deps: deps} = state),
    do: {:reply, Accounts.Users.create(attrs, deps), state}

  def handle_call({:get_user, id}, _from, %__MODULE__{deps: deps} = state),
    do: {:reply, Accounts.Users.get(id, deps), state}

  def handle_call({:change_email, id, email}, _from, %__MODULE__{deps: deps} = state),
    do: {:reply, Accounts.Users.change_email(id, email, deps), state}

  def handle_call(request, _from, _state),
    do: raise(ArgumentError, "Accounts.Server has no call #{inspect(request, limit: 5)}")
end
