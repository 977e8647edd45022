defmodule IExKernel.Viz do
  @moduledoc """
  OTP made visible in the notebook: supervision trees, message sequences, live VM vital
  signs and mailbox charts. Each function shows its picture in the running cell and returns
  something useful to assert on.

      IExKernel.Viz.tree(MyApp.Supervisor)
      IExKernel.Viz.sequence(fn -> GenServer.call(MyApp.Cache, {:get, :a}) end)
      IExKernel.Viz.live(fn -> Enum.each(1..1_000, &send(pid, &1)) end)
      IExKernel.Viz.mailbox(pid, fn -> flood(pid) end)
  """

  alias IExKernel.Display
  alias IExKernel.Viz.{Chart, Live, Mailbox, Sequence, Tree}

  @doc "Draws the supervision tree under `supervisor` (its Mermaid source: `Tree.to_mermaid/1`)."
  def tree(supervisor) do
    supervisor |> Tree.snapshot() |> Tree.to_mermaid() |> Display.mermaid() |> Display.show()
  end

  @doc "Runs `fun`, draws the messages it caused between processes; returns `fun`'s result."
  def sequence(fun, opts \\ []) do
    {result, events} = Sequence.trace(fun, opts)
    Display.show(Display.mermaid(Sequence.to_mermaid(events, Keyword.get(opts, :names, %{}))))
    result
  end

  @doc "Runs `fun` under a live view of the VM (processes, memory, run queue, mailboxes)."
  def live(fun, opts \\ []), do: Live.run(fun, opts)

  @doc "Runs `fun` while charting `pid`'s mailbox length; returns `{result, series}`."
  def mailbox(pid, fun, opts \\ []) do
    {result, series} = Mailbox.sample(pid, fun, opts)
    title = Keyword.get(opts, :title, "mailbox length of #{inspect(pid)}")
    summary = "#{title}: #{length(series)} samples, peak #{Chart.peak(series)}"
    Display.show(Chart.bundle([{title, "messages waiting", series}], summary))
    {result, series}
  end
end
