defmodule Shop.Application do
  @moduledoc """
  The importer runs under a DynamicSupervisor of its own, started by a transient task after it;
  the catalogue subsystem restarts all three in order when the catalogue does. Payments and
  notifications are siblings under a :one_for_one top, started in another order.
  """

  def start_link(opts) do
    payment_children = [{Shop.Payments.Ledger, opts}, {Shop.Payments.Gateway, opts}]

    payments =
      Supervisor.child_spec(
        %{
          id: :payments,
          start: {Supervisor, :start_link, [payment_children, [strategy: :rest_for_one]]}
        },
        type: :supervisor
      )

    catalogue_children = [
      {Shop.Catalog, opts},
      {DynamicSupervisor, name: Shop.ImporterSupervisor, strategy: :one_for_one},
      Supervisor.child_spec(
        {Task, fn -> start_importer(opts) end},
        id: :start_importer,
        restart: :transient
      )
    ]

    catalogue = %{
      id: :catalogue,
      type: :supervisor,
      start: {Supervisor, :start_link, [catalogue_children, [strategy: :rest_for_one]]}
    }

    Supervisor.start_link([payments, catalogue, {Shop.Notifications.Mailer, opts}],
      strategy: :one_for_one
    )
  end

  defp start_importer(opts) do
    {:ok, _} = DynamicSupervisor.start_child(Shop.ImporterSupervisor, {Shop.Importer, opts})
  end
end
