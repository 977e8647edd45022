# Correct, one module per use case behind an Accounts.Users facade; the server answers {:error, {:unknown_call, msg}}.
defmodule Accounts.Email do
  @moduledoc false
  def normalize(email) when is_binary(email),
    do: {:ok, email |> String.trim() |> String.downcase()}

  def normalize(_email), do: {:error, :invalid_email}

  def validate({:ok, email}) do
    if email =~ ~r/^[^@\s]+@[^@\s]+$/, do: {:ok, email}, else: {:error, :invalid_email}
  end

  def validate(error), do: error

  def free(email, repo) do
    case Accounts.Repo.get_by_email(repo, email) do
      {:error, :not_found} -> :ok
      {:ok, _} -> {:error, :email_taken}
    end
  end
end

defmodule Accounts.Signup do
  @moduledoc false
  alias Accounts.{Email, Repo}

  def run(attrs, deps) do
    with {:ok, email} <- attrs |> Map.get(:email) |> Email.normalize() |> Email.validate(),
         :ok <- Email.free(email, deps.repo),
         {:ok, user} <- Repo.insert(deps.repo, %{email: email, name: Map.get(attrs, :name)}) do
      :ok = welcome(user, deps.mailer)
      {:ok, user}
    end
  end

  defp welcome(user, mailer) do
    mailer.(%{to: user.email, subject: "Welcome to Acme", body: "Hi #{user.name}!"})
    :ok
  end
end

defmodule Accounts.EmailChange do
  @moduledoc false
  alias Accounts.{Email, Repo}

  def run(id, email, deps) do
    with {:ok, user} <- Repo.get(deps.repo, id),
         {:ok, email} <- email |> Email.normalize() |> Email.validate(),
         :ok <- Email.free(email, deps.repo) do
      Repo.update(deps.repo, Map.put(user, :email, email))
    end
  end
end

defmodule Accounts.Users do
  @moduledoc "The accounts domain API: no process, deps passed in."
  defdelegate create(attrs, deps), to: Accounts.Signup, as: :run
  defdelegate change_email(id, email, deps), to: Accounts.EmailChange, as: :run
  def get(id, deps), do: Accounts.Repo.get(deps.repo, id)
end

defmodule Accounts.Server do
  @moduledoc "The single writer for accounts. Explicit messages only."
  use GenServer

  @type request :: {:create_user, map} | {:get_user, term} | {:change_email, term, String.t()}

  def start_link(opts) do
    name = Keyword.get(opts, :name)

    GenServer.start_link(
      __MODULE__,
      %{deps: Keyword.fetch!(opts, :deps)},
      if(name, do: [name: name], else: [])
    )
  end

  def create_user(server, attrs), do: GenServer.call(server, {:create_user, attrs})
  def get_user(server, id), do: GenServer.call(server, {:get_user, id})
  def change_email(server, id, email), do: GenServer.call(server, {:change_email, id, email})

  @impl true
  def init(state), do: {:ok, state}

  @impl true
  def handle_call(request, _from, state) do
    {:reply, dispatch(request, state.deps), state}
  end

  defp dispatch({:create_user, attrs}, deps) when is_map(attrs),
    do: Accounts.Users.create(attrs, deps)

  defp dispatch({:get_user, id}, deps), do: Accounts.Users.get(id, deps)

  defp dispatch({:change_email, id, email}, deps),
    do: Accounts.Users.change_email(id, email, deps)

  defp dispatch(other, _deps), do: {:error, {:unknown_call, other}}
end
