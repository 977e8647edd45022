defmodule Checkout.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      # Runs outbound calls on behalf of request processes.
      {Task.Supervisor, name: Checkout.TaskSupervisor}
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Checkout.Supervisor)
  end
end
