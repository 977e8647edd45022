defmodule Accounts.ServerHiddenTest do
  use ExUnit.Case

  alias Accounts.{Repo, Server}

  @ada %{email: "ada@example.com", name: "Ada"}
  @bob %{email: "bob@example.com", name: "Bob"}

  setup do
    %{deps: deps_for(self())}
  end

  defp deps_for(test) do
    mailer = fn email ->
      send(test, {:email, email})
      :ok
    end

    %{repo: Repo.new(), mailer: mailer}
  end

  defp start_server(deps, opts \\ []) do
    start_supervised!({Server, [deps: deps] ++ opts}, restart: :temporary)
  end

  defp call(pid, message) do
    {:replied, GenServer.call(pid, message, 2_000)}
  catch
    :exit, {:timeout, _} -> :no_answer
    :exit, reason -> {:exited, reason}
  end

  defp seen(:no_answer), do: "no answer at all (it waited until its timeout)"
  defp seen({:replied, reply}), do: "the reply #{inspect(reply, limit: 6)}"
  defp seen({:exited, reason}), do: "the exit #{inspect(reason, limit: 4)}"

  # Runs `fun` in another process and gives it `timeout` ms to return.
  defp within(timeout, fun) do
    task = Task.async(fun)

    case Task.yield(task, timeout) || Task.shutdown(task, :brutal_kill) do
      {:ok, value} -> {:returned, value}
      {:exit, reason} -> {:exited, reason}
      nil -> :still_waiting
    end
  end

  @tag points: 2
  test "Users.create/2 does not wait on the accounts server: it returns while the server is suspended",
       %{deps: deps} do
    server = start_server(deps, name: Server)
    :sys.suspend(server)

    try do
      result = within(2_000, fn -> Accounts.Users.create(@ada, deps) end)

      assert match?({:returned, {:ok, %{email: "ada@example.com"}}}, result),
             "with the accounts server suspended, Users.create/2 gave #{inspect(result, limit: 6)}: " <>
               "it still routes through the process. Domain code must run in the caller"
    after
      :sys.resume(server)
    end
  end

  @tag points: 1
  test "Users.create/2, change_email/3 and get/2 work without a process and return what the service returns today",
       %{deps: deps} do
    refute Process.whereis(Server)

    # Today's service trims and downcases the address before it checks, stores and returns it.
    messy = %{email: " Ada@Example.com ", name: "Ada"}

    assert {:ok, %{email: "ada@example.com"} = ada} = Accounts.Users.create(messy, deps),
           "Users.create/2 must store and return the email as the service does today, trimmed " <>
             "and downcased (\"ada@example.com\" for \" Ada@Example.com \")"

    assert Accounts.Users.get(ada.id, deps) == {:ok, ada}

    assert Accounts.Users.create(@ada, deps) == {:error, :email_taken},
           "after a signup as \" Ada@Example.com \", a signup as \"ada@example.com\" was not " <>
             "refused: the uniqueness check must compare the same normalised address that is stored"

    {:ok, _bob} = Accounts.Users.create(@bob, deps)

    assert {:ok, %{id: id, email: "ada@acme.test"} = moved} =
             Accounts.Users.change_email(ada.id, "Ada@Acme.test", deps)

    assert id == ada.id
    assert Accounts.Users.get(ada.id, deps) == {:ok, moved}
    assert Accounts.Users.get(404, deps) == {:error, :not_found}
    assert Accounts.Users.change_email(404, "x@acme.test", deps) == {:error, :not_found}
    assert Accounts.Users.change_email(ada.id, "bob@example.com", deps) == {:error, :email_taken}
    assert Accounts.Users.change_email(ada.id, "nope", deps) == {:error, :invalid_email}
    assert Accounts.Users.create(%{name: "No Email"}, deps) == {:error, :invalid_email}
  end

  @tag points: 1
  test "Users functions use only the deps they are given (two repos never mix)" do
    one = deps_for(self())
    two = deps_for(self())

    assert {:ok, _} = Accounts.Users.create(@ada, one)

    assert {:ok, %{email: "ada@example.com"}} = Accounts.Users.create(@ada, two),
           "the same email in another repo was refused: Users.create/2 must use deps.repo, " <>
             "not a global or the server's state"

    assert length(Repo.all(one.repo)) == 1
    assert length(Repo.all(two.repo)) == 1
  end

  @tag points: 2
  test "the server delegates {:create_user, ...} and {:change_email, ...} with the deps it was started with",
       %{deps: deps} do
    test = self()
    server = start_server(deps)

    # A second server with its own repo and mailer, started after the first: each server
    # must keep using the deps it was started with (no global, no "last one wins").
    other_deps = %{repo: Repo.new(), mailer: fn email -> send(test, {:other_email, email}) end}
    other = start_supervised!({Server, deps: other_deps}, id: :other_server, restart: :temporary)

    assert {:replied, {:ok, %{id: id}}} = call(server, {:create_user, @ada})

    assert_received {:email, %{to: "ada@example.com"}},
                    "the server did not use the mailer of the deps it was started with (a " <>
                      "second server, started after it with other deps, must not change that)"

    reply = call(server, {:change_email, id, "ada@acme.test"})

    assert match?({:replied, {:ok, %{id: ^id, email: "ada@acme.test"}}}, reply),
           "GenServer.call(server, {:change_email, id, email}) must reply what " <>
             "Users.change_email/3 returns; the caller saw #{inspect(reply, limit: 8)}"

    assert [%{id: ^id, email: "ada@acme.test"}] = Repo.all(deps.repo),
           "a server's writes did not land in the repo it was started with (another server " <>
             "had been started since, with other deps): keep the deps in the server's state"

    assert {:replied, {:ok, %{email: "ada@example.com"}}} = call(other, {:create_user, @ada})

    assert_received {:other_email, %{to: "ada@example.com"}},
                    "the second server did not use its own mailer"

    assert [%{email: "ada@example.com"}] = Repo.all(other_deps.repo)
    assert [%{id: ^id, email: "ada@acme.test"}] = Repo.all(deps.repo)
  end

  @tag points: 1
  test "start_link/1 registers the server under :name when given, and the client functions work through it",
       %{deps: deps} do
    name = Accounts.ServerHiddenTest.Named
    server = start_server(deps, name: name)

    assert Process.whereis(name) == server,
           "started with name: #{inspect(name)}, the server was not registered under it: pass " <>
             "the :name option on to GenServer.start_link/3, as the starter did"

    assert {:ok, %{id: id}} = Server.create_user(name, @ada)
    assert {:ok, %{id: ^id, email: "ada@acme.test"}} = Server.change_email(name, id, "ada@acme.test")
    assert {:ok, %{id: ^id, email: "ada@acme.test"}} = Server.get_user(name, id)
  end

  @tag points: 1
  test "the client functions only send messages: get_user/2 and change_email/3 run no domain code in the caller",
       %{deps: deps} do
    server = start_server(deps)
    {:ok, ada} = Server.create_user(server, @ada)
    test = self()

    caller =
      spawn(fn ->
        receive do
          :go ->
            got = Server.get_user(server, ada.id)
            send(test, {:done, got, Server.change_email(server, ada.id, "ada@acme.test")})
        end
      end)

    # Every call the caller's process makes to the domain or the repo is reported to the test.
    ran =
      calls_made_by(caller, [{Accounts.Users, :_, :_}, {Accounts.Repo, :_, :_}], fn ->
        send(caller, :go)
        assert_receive {:done, got, changed}, 5_000, "the client functions did not answer within 5 s"
        assert got == {:ok, ada}
        assert {:ok, %{id: id, email: "ada@acme.test"}} = changed
        assert id == ada.id
      end)

    assert ran == [],
           "Server.get_user/2 and Server.change_email/3 ran #{Enum.join(ran, ", ")} in the " <>
             "caller's process. The client functions only send messages; the server runs the " <>
             "domain, so two changes to one address cannot both pass the uniqueness check"
  end

  # Runs `fun` while the calls `pid` makes to `patterns` are traced; returns them, as
  # ["Module.function/arity"], in order and without repeats.
  defp calls_made_by(pid, patterns, fun) do
    :erlang.trace(pid, true, [:call, {:tracer, self()}])
    for pattern <- patterns, do: :erlang.trace_pattern(pattern, true, [:local])

    try do
      fun.()
      ref = :erlang.trace_delivered(pid)
      assert_receive {:trace_delivered, ^pid, ^ref}, 5_000
    after
      for pattern <- patterns, do: :erlang.trace_pattern(pattern, false, [:local])
      if Process.alive?(pid), do: :erlang.trace(pid, false, [:call])
    end

    calls_traced(pid, [])
  end

  defp calls_traced(pid, calls) do
    receive do
      {:trace, ^pid, :call, {module, function, args}} ->
        calls_traced(pid, ["#{inspect(module)}.#{function}/#{length(args)}" | calls])
    after
      0 -> calls |> Enum.reverse() |> Enum.uniq()
    end
  end

  @tag points: 1
  test "domain errors come back as {:error, reason} and the server keeps serving", %{deps: deps} do
    server = start_server(deps)

    assert call(server, {:create_user, %{email: "nope"}}) == {:replied, {:error, :invalid_email}}
    assert call(server, {:get_user, 404}) == {:replied, {:error, :not_found}}
    assert call(server, {:change_email, 404, "x@acme.test"}) == {:replied, {:error, :not_found}}
    assert Process.alive?(server), "a domain error must not crash the server"
    assert {:replied, {:ok, _}} = call(server, {:create_user, @ada})
  end

  @tag points: 2
  test "generic dispatch messages are rejected and run nothing", %{deps: deps} do
    generic = [
      {:create, [@ada]},
      {:create, @ada},
      {Accounts.Users, :create, [@ada]},
      {:run, %{op: :create_user, attrs: @ada}},
      %{op: :create_user, attrs: @ada}
    ]

    for message <- generic do
      server = start_server(deps)
      reply = call(server, message)

      assert match?({:replied, {:error, _}}, reply) or match?({:exited, _}, reply),
             "to #{inspect(message)} the caller got #{seen(reply)}: only the server's three " <>
               "explicit messages may be handled, anything else rejected with {:error, reason} " <>
               "or an exit the caller sees"

      assert Repo.all(deps.repo) == [],
             "#{inspect(message)} created a user: a message that names the function to run " <>
               "is still a service locator"

      stop_supervised(Server)
    end
  end

  @tag points: 2
  test "signups and email changes still go through the server one at a time: each write runs inside the server process",
       %{deps: deps} do
    test = self()

    # The fake mailer reports which process ran the signup: Users.create/2 sends the welcome
    # email right after its uniqueness check and insert, in the same process.
    mailer = fn email ->
      send(test, {:signup_ran_in, self(), email.to})
      :ok
    end

    server = start_server(%{deps | mailer: mailer})
    caller = Task.async(fn -> Server.create_user(server, @ada) end)
    assert {:ok, %{email: "ada@example.com"} = ada} = Task.await(caller, 5_000)
    assert_received {:signup_ran_in, pid, "ada@example.com"}, "no welcome email was sent"

    where =
      cond do
        pid == server -> "the server process"
        pid == caller.pid -> "the caller's process (Server.create_user/2 ran the domain itself)"
        true -> "another process, #{inspect(pid)}, neither the server nor the caller"
      end

    assert pid == server,
           "Server.create_user/2 ran the signup in #{where}. Only a signup that runs inside the " <>
             "server, one message at a time, is safe from a twin signup slipping between the " <>
             "uniqueness check and the insert: its handle_call/3 must call Users.create/2 itself"

    results =
      1..20
      |> Enum.map(fn _ -> Task.async(fn -> Server.create_user(server, @bob) end) end)
      |> Task.await_many(10_000)

    created = Enum.count(results, &match?({:ok, _}, &1))

    assert created == 1,
           "20 concurrent signups with one email created #{created} users: writes must still " <>
             "be serialised by the server (check-then-insert races otherwise)"

    assert Enum.count(results, &(&1 == {:error, :email_taken})) == 19

    # An email change writes too (Accounts.Repo.update/2): the server process itself must make
    # that write, not a task or process it hands the change to. Only the server is traced.
    ran =
      calls_made_by(server, [{Accounts.Repo, :update, :_}], fn ->
        caller = Task.async(fn -> Server.change_email(server, ada.id, "ada@acme.test") end)
        assert {:ok, %{email: "ada@acme.test"}} = Task.await(caller, 5_000)
        assert {:ok, %{email: "ada@acme.test"}} = Accounts.Repo.get(deps.repo, ada.id)
      end)

    assert "Accounts.Repo.update/2" in ran,
           "Server.change_email/3 changed the email, but the server process never " <>
             "called Accounts.Repo.update/2 itself: the change ran in another process " <>
             "(a Task, a spawn, ...). Writes must run inside the server, one message at a " <>
             "time, or two changes to one address can both pass the uniqueness check"
  end
end
