defmodule Accounts.Repo do
  @moduledoc """
  User storage: an ETS table standing in for the database.

  `new/0` returns a handle; every function takes it as its first argument, so any process
  that has the handle can read and write (the table is public). Users are maps with an
  integer `:id` the repo assigns on insert.
  """

  @type t :: :ets.tid()
  @type user :: %{required(:id) => pos_integer, optional(atom) => term}

  @spec new() :: t
  def new do
    table = :ets.new(:accounts_users, [:set, :public])
    :ets.insert(table, {:next_id, 0})
    table
  end

  @doc "Stores a new user and returns it with its `:id`."
  @spec insert(t, map) :: {:ok, user}
  def insert(repo, attrs) when is_map(attrs) do
    id = :ets.update_counter(repo, :next_id, 1)
    user = Map.put(attrs, :id, id)
    :ets.insert(repo, {{:user, id}, user})
    {:ok, user}
  end

  @doc "Replaces a stored user (matched by `:id`)."
  @spec update(t, user) :: {:ok, user} | {:error, :not_found}
  def update(repo, %{id: id} = user) do
    case get(repo, id) do
      {:ok, _old} ->
        :ets.insert(repo, {{:user, id}, user})
        {:ok, user}

      error ->
        error
    end
  end

  @spec get(t, term) :: {:ok, user} | {:error, :not_found}
  def get(repo, id) do
    case :ets.lookup(repo, {:user, id}) do
      [{_key, user}] -> {:ok, user}
      [] -> {:error, :not_found}
    end
  end

  @spec get_by_email(t, String.t()) :: {:ok, user} | {:error, :not_found}
  def get_by_email(repo, email) do
    case Enum.find(all(repo), &(&1.email == email)) do
      nil -> {:error, :not_found}
      user -> {:ok, user}
    end
  end

  @doc "Every stored user, in id order."
  @spec all(t) :: [user]
  def all(repo) do
    repo
    |> :ets.match({{:user, :_}, :"$1"})
    |> List.flatten()
    |> Enum.sort_by(& &1.id)
  end
end
