defmodule IExKernel.Session do
  @moduledoc """
  Keeps the notebook's state and runs its cells, one at a time.

  The binding and the environment (aliases, imports, requires) live here, outside the
  process that evaluates, so an interrupt or a linked crash costs only the evaluator. Each
  cell's outcome is sent to the Python kernel as a `result` frame; output streams on its
  own through the cell's group leader (`IExKernel.IOProxy`).
  """

  use GenServer

  alias IExKernel.{Evaluator, IOProxy, Wire}

  defstruct [:dir, :proxy, :evaluator, :monitor, binding: [], env: nil, running: nil]

  def start(dir), do: GenServer.start(__MODULE__, dir, name: __MODULE__)

  def execute(id, count, allow_stdin), do: GenServer.cast(__MODULE__, {:execute, id, count, allow_stdin})
  def interrupt, do: GenServer.cast(__MODULE__, :interrupt)
  def input_reply(id), do: GenServer.cast(__MODULE__, {:input_reply, id})

  @doc "Runs `fun.(code, binding, env)` for a request on the side and sends its reply frame."
  def request(id, fun), do: GenServer.cast(__MODULE__, {:request, id, fun})

  @impl true
  def init(dir) do
    import_helpers = quote(do: import(IEx.Helpers, warn: false))
    {_, _, env} = Code.eval_quoted_with_env(import_helpers, [], Code.env_for_eval([]))
    proxy = IOProxy.start()
    {:ok, start_evaluator(%__MODULE__{dir: dir, proxy: proxy, env: env})}
  end

  @impl true
  def handle_cast({:execute, id, count, allow_stdin}, %{running: nil} = state) do
    ref = make_ref()
    IOProxy.cell_started(state.proxy, id, allow_stdin)
    message = {:eval, cell_path(state, id), "cell[#{count}]", state.binding, state.env}
    send(state.evaluator, {Evaluator, ref, message})
    {:noreply, %{state | running: {id, ref}}}
  end

  def handle_cast({:execute, id, _count, _allow_stdin}, state) do
    send_result(id, {:error, error("Busy", "another cell is still running")})
    {:noreply, state}
  end

  def handle_cast(:interrupt, %{running: {id, _ref}} = state) do
    Process.demonitor(state.monitor, [:flush])
    Process.exit(state.evaluator, :kill)
    state = finish(state, id, {:error, error("Interrupted", "the cell was stopped; everything defined before it is kept")})
    {:noreply, start_evaluator(state)}
  end

  def handle_cast(:interrupt, state), do: {:noreply, state}

  def handle_cast({:input_reply, id}, state) do
    path = Path.join(state.dir, "#{id}.input")

    answer =
      case File.read(path) do
        {:ok, text} ->
          File.rm(path)
          text

        {:error, _} -> :eof
      end

    IOProxy.input_reply(state.proxy, id, answer)
    {:noreply, state}
  end

  def handle_cast({:request, id, fun}, state) do
    path = cell_path(state, id)
    %{binding: binding, env: env} = state

    spawn(fn ->
      code = File.read!(path)
      File.rm(path)

      content =
        try do
          fun.(code, binding, env)
        catch
          kind, reason -> %{status: "error", ename: inspect(kind), evalue: Exception.format(kind, reason)}
        end

      Wire.send_frame(%{type: "reply", id: id, content: content})
    end)

    {:noreply, state}
  end

  @impl true
  def handle_info({Evaluator, ref, {outcome, modules}}, %{running: {id, ref}} = state) do
    state =
      case outcome do
        {:ok, _data, binding, env} -> %{state | binding: binding, env: env}
        _error -> state
      end

    {:noreply, finish(state, id, outcome, modules)}
  end

  def handle_info({:DOWN, monitor, :process, _, reason}, %{monitor: monitor} = state) do
    message = "the evaluator process exited: " <> Exception.format_exit(reason)

    state =
      case state.running do
        {id, _ref} ->
          finish(state, id, {:error, error("EXIT", message <> "\n(everything defined before this cell is kept)")})

        nil ->
          IO.puts(:user, "** (EXIT) #{message}\n   A new evaluator was started; bindings are kept, its mailbox is not.")
          state
      end

    {:noreply, start_evaluator(state)}
  end

  def handle_info(_message, state), do: {:noreply, state}

  defp start_evaluator(state) do
    pid = Evaluator.start(self(), state.proxy)
    %{state | evaluator: pid, monitor: Process.monitor(pid)}
  end

  defp finish(state, id, outcome, modules \\ []) do
    # What the cell logged is written before its result, so it shows in this cell.
    Course.Log.flush()
    IOProxy.cell_finished(state.proxy)
    send_result(id, outcome, modules)
    %{state | running: nil}
  end

  defp send_result(id, outcome, modules \\ []) do
    frame =
      case outcome do
        {:ok, data, _binding, _env} -> %{type: "result", id: id, status: "ok", data: data}
        {:error, error} -> Map.merge(%{type: "result", id: id, status: "error"}, error)
      end

    Wire.send_frame(Map.put(frame, :modules, Enum.map(modules, &inspect/1)))
  end

  defp error(ename, evalue), do: %{ename: ename, evalue: evalue, traceback: ["\e[0;31m** (#{ename}) #{evalue}\e[0m"]}

  defp cell_path(state, id), do: Path.join(state.dir, "#{id}.in")
end
