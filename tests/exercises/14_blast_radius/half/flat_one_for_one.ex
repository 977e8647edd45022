defmodule Shop.Application do
  @moduledoc """
  The shop's supervision tree: the catalogue and its importer, payments (the ledger and the
  gateway that writes into it) and notifications (the mailer).

  `start_link/1` returns `{:ok, pid}` of the top supervisor (the application's `start/2` calls
  it). Its options go to every worker's `start_link/1`; each takes what it needs
  (`Shop.Importer` takes `:feed`).
  """
  def start_link(opts) do
    children = [
      {Shop.Catalog, opts},
      {Shop.Importer, opts},
      {Shop.Payments.Ledger, opts},
      {Shop.Payments.Gateway, opts},
      {Shop.Notifications.Mailer, opts}
    ]

    # Each worker restarts alone.
    Supervisor.start_link(children, strategy: :one_for_one, name: Shop.Supervisor)
  end
end
