defmodule Accounts.ServerTest do
  use ExUnit.Case

  alias Accounts.{Repo, Server}

  @ada %{email: "ada@example.com", name: "Ada"}

  setup do
    test = self()

    mailer = fn email ->
      send(test, {:email, email})
      :ok
    end

    %{deps: %{repo: Repo.new(), mailer: mailer}}
  end

  defp start_server(deps) do
    start_supervised!({Server, deps: deps}, restart: :temporary)
  end

  # Calls the server and reports what the caller saw: a reply, an exit, or nothing at all.
  defp call(pid, message) do
    {:replied, GenServer.call(pid, message, 2_000)}
  catch
    :exit, {:timeout, _} -> :no_answer
    :exit, reason -> {:exited, reason}
  end

  defp assert_rejected(pid, message) do
    case call(pid, message) do
      {:replied, {:error, _reason}} ->
        :ok

      {:exited, _reason} ->
        :ok

      :no_answer ->
        flunk(
          "the server never answered #{inspect(message)}: the caller hung until its timeout. " <>
            "Reject an unknown call with a reply such as {:error, :unknown_call}, or let it " <>
            "crash with a FunctionClauseError so the caller sees it"
        )

      {:replied, reply} ->
        flunk(
          "the server answered #{inspect(reply)} to #{inspect(message)}, a message it has no " <>
            "business handling. Unknown calls must be rejected ({:error, :unknown_call} or a " <>
            "FunctionClauseError the caller sees), never swallowed"
        )
    end
  end

  # Runs domain code in the test process and turns an exit into a failure that says why.
  defp without_a_process(fun) do
    fun.()
  catch
    :exit, reason ->
      flunk(
        "the domain function exited with #{inspect(reason, limit: 5)}: it tried to talk to a " <>
          "process. Domain functions must be plain functions of their arguments and deps"
      )
  end

  @tag points: 1
  test "signing up through Accounts.Server.create_user/2 still stores the user and sends the welcome email",
       %{deps: deps} do
    server = start_server(deps)

    assert {:ok, %{id: id, email: "ada@example.com", name: "Ada"}} =
             Server.create_user(server, @ada)

    assert_received {:email, %{to: "ada@example.com"}}, "the welcome email went missing"
    assert {:ok, %{id: ^id}} = Server.get_user(server, id)
  end

  @tag points: 1
  test "a taken or invalid email is still refused through the server", %{deps: deps} do
    server = start_server(deps)

    assert {:ok, _user} = Server.create_user(server, @ada)

    assert Server.create_user(server, %{@ada | email: " ADA@example.com"}) ==
             {:error, :email_taken}

    assert Server.create_user(server, %{@ada | email: "not an email"}) == {:error, :invalid_email}
  end

  @tag points: 3
  test "Accounts.Users.create/2 and get/2 work with no process running, deps passed in",
       %{deps: deps} do
    assert Code.ensure_loaded?(Accounts.Users),
           "there is no Accounts.Users module: move the domain logic out of the server into " <>
             "plain functions, Accounts.Users.create(attrs, deps), get(id, deps) and " <>
             "change_email(id, email, deps)"

    refute Process.whereis(Server), "no accounts server should be running in this test"

    assert {:ok, %{id: id, email: "ada@example.com"} = user} =
             without_a_process(fn -> Accounts.Users.create(@ada, deps) end)

    assert_received {:email, %{to: "ada@example.com"}},
                    "Users.create/2 must send the welcome email through deps.mailer"

    assert without_a_process(fn -> Accounts.Users.get(id, deps) end) == {:ok, user}
  end

  @tag points: 2
  test "the server answers its explicit messages {:create_user, attrs} and {:get_user, id}",
       %{deps: deps} do
    server = start_server(deps)

    reply = call(server, {:create_user, @ada})

    assert match?({:replied, {:ok, %{id: _, email: "ada@example.com"}}}, reply),
           "GenServer.call(server, {:create_user, attrs}) must reply what Users.create/2 " <>
             "returns, {:ok, user}; the caller saw #{inspect(reply, limit: 8)}"

    {:replied, {:ok, %{id: id} = user}} = reply
    reply = call(server, {:get_user, id})

    assert reply == {:replied, {:ok, user}},
           "GenServer.call(server, {:get_user, id}) must reply what Users.get/2 returns, " <>
             "{:ok, user}; the caller saw #{inspect(reply, limit: 8)}"
  end

  @tag points: 2
  test "the catch-all {:do_everything, payload} message, called or cast, no longer runs domain code",
       %{deps: deps} do
    server = start_server(deps)

    assert_rejected(server, {:do_everything, %{op: :create_user, attrs: @ada}})

    assert Repo.all(deps.repo) == [],
           "{:do_everything, payload} still created a user: one message that runs anything " <>
             "turns the server into a service locator. Give it one message per operation"

    stop_supervised(Server)

    # An old caller may also cast it, fire and forget. The server may ignore the cast or crash
    # on it (both reject it), but it must run nothing. Messages from one sender arrive in order,
    # so once the call after the cast is answered (or fails because the cast crashed the
    # server), the cast has been handled.
    server = start_server(deps)
    GenServer.cast(server, {:do_everything, %{op: :create_user, attrs: @ada}})
    call(server, {:get_user, 1})

    assert Repo.all(deps.repo) == [],
           "GenServer.cast(server, {:do_everything, payload}) still created a user: a " <>
             "handle_cast/2 kept for old callers is the same catch-all. Reject it too (no " <>
             "clause for it, or one that logs and runs nothing)"
  end

  @tag points: 2
  test "an unknown request is rejected, never answered :ok", %{deps: deps} do
    for message <- [{:do_everything, %{op: :purge_users}}, {:purge_users, :all}] do
      server = start_server(deps)
      assert_rejected(server, message)
      stop_supervised(Server)
    end
  end
end
