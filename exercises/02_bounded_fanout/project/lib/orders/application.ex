defmodule Orders.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      # For short-lived work started on behalf of a request (publishing events, ...).
      {Task.Supervisor, name: Orders.TaskSupervisor}
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Orders.Supervisor)
  end
end
