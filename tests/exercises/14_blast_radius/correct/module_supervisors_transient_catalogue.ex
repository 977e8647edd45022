defmodule Shop.Application do
  @moduledoc """
  The shop's tree, one supervisor module per subsystem. Payments restart as a pair (:one_for_all);
  the catalogue subsystem is :transient under the top: when its crash loop makes it give up, it
  stays down (an operator is alerted) and the rest of the shop runs on.
  """
  use Supervisor

  def start_link(opts), do: Supervisor.start_link(__MODULE__, opts, name: Shop.Supervisor)

  @impl true
  def init(opts) do
    children = [
      {Shop.Application.Notifications, opts},
      {Shop.Application.Payments, opts},
      Supervisor.child_spec({Shop.Application.Catalogue, opts}, restart: :transient)
    ]

    Supervisor.init(children, strategy: :one_for_one)
  end
end

defmodule Shop.Application.Payments do
  use Supervisor

  def start_link(opts), do: Supervisor.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts) do
    Supervisor.init([{Shop.Payments.Ledger, opts}, {Shop.Payments.Gateway, opts}],
      strategy: :one_for_all
    )
  end
end

defmodule Shop.Application.Notifications do
  use Supervisor

  def start_link(opts), do: Supervisor.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts), do: Supervisor.init([{Shop.Notifications.Mailer, opts}], strategy: :one_for_one)
end

defmodule Shop.Application.Catalogue do
  use Supervisor

  def start_link(opts), do: Supervisor.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts) do
    Supervisor.init([{Shop.Catalog, opts}, {Shop.Importer, opts}], strategy: :rest_for_one)
  end
end
