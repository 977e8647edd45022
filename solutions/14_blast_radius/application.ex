defmodule Shop.Application do
  @moduledoc """
  The shop's supervision tree: the catalogue and its importer, payments (the ledger and the
  gateway that writes into it) and notifications (the mailer).

  `start_link/1` returns `{:ok, pid}` of the top supervisor (the application's `start/2` calls
  it). Its options go to every worker's `start_link/1`; each takes what it needs
  (`Shop.Importer` takes `:feed`).

  One supervisor per failure domain, under a `:one_for_one` top: a crash costs its own subsystem
  at most, and a crash loop uses up the restarts of its subsystem's supervisor (3 in 5 s), which
  gives up and is restarted alone by the top.
  """
  def start_link(opts) do
    children = [
      # The importer fills the catalogue's table: it restarts when the catalogue does.
      subsystem(:catalogue, [{Shop.Catalog, opts}, {Shop.Importer, opts}], :rest_for_one),
      # The gateway writes into the ledger's table: it restarts when the ledger does.
      subsystem(
        :payments,
        [{Shop.Payments.Ledger, opts}, {Shop.Payments.Gateway, opts}],
        :rest_for_one
      ),
      subsystem(:notifications, [{Shop.Notifications.Mailer, opts}], :one_for_one)
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Shop.Supervisor)
  end

  defp subsystem(id, children, strategy) do
    %{
      id: id,
      type: :supervisor,
      start:
        {Supervisor, :start_link,
         [children, [strategy: strategy, max_restarts: 3, max_seconds: 5]]}
    }
  end
end
