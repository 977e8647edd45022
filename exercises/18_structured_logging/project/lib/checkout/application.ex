defmodule Checkout.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args) do
    Supervisor.start_link([Checkout.Events], strategy: :one_for_one, name: Checkout.Supervisor)
  end
end
