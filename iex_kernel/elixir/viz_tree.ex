defmodule IExKernel.Viz.Tree do
  @moduledoc """
  A live supervision tree: a snapshot of who supervises whom, with what strategy, and which
  processes are linked, drawn as a Mermaid diagram.

  The snapshot is plain data (`%Tree{}`), so the drawing is a pure function of it.
  """

  defstruct [:pid, :id, :name, :module, :kind, :strategy, children: []]

  @type t :: %__MODULE__{}

  @doc "Snapshots the tree under `supervisor` (a pid or a registered name)."
  def snapshot(supervisor) do
    pid = GenServer.whereis(supervisor) || raise ArgumentError, "no supervisor at #{inspect(supervisor)}"
    node(pid, nil, :supervisor)
  end

  defp node(pid, id, kind, modules \\ :dynamic) do
    %__MODULE__{
      pid: pid,
      id: id,
      name: registered_name(pid),
      module: callback_module(modules),
      kind: kind,
      strategy: if(kind == :supervisor, do: strategy(pid)),
      children: if(kind == :supervisor, do: children(pid), else: [])
    }
  end

  defp children(sup) do
    for {id, pid, type, modules} <- Supervisor.which_children(sup) |> Enum.reverse() do
      if is_pid(pid),
        do: node(pid, id, type, modules),
        else: %__MODULE__{pid: pid, id: id, module: callback_module(modules), kind: type}
    end
  end

  # A DynamicSupervisor's children all have the id :undefined: their module tells them apart.
  defp callback_module([module]) when is_atom(module), do: module
  defp callback_module(_dynamic), do: nil

  defp registered_name(pid) when is_pid(pid) do
    case Process.info(pid, :registered_name) do
      {:registered_name, name} when is_atom(name) -> name
      _ -> nil
    end
  end

  defp registered_name(_), do: nil

  defp strategy(pid) do
    case :sys.get_state(pid, 1000) do
      %DynamicSupervisor{strategy: strategy} -> {:dynamic, strategy}
      state when is_tuple(state) and elem(state, 0) == :state -> elem(state, 2)
      _ -> nil
    end
  catch
    :exit, _ -> nil
  end

  @doc """
  The tree as Mermaid source: supervisors with their strategy, workers, and dotted edges for
  links between processes of the tree other than supervision.
  """
  def to_mermaid(%__MODULE__{} = tree) do
    nodes = flatten(tree)
    ids = nodes |> Enum.with_index() |> Map.new(fn {n, i} -> {n.pid, "n#{i}"} end)

    lines =
      ["graph TD"] ++
        Enum.map(nodes, &node_line(&1, ids)) ++
        supervision_edges(tree, ids) ++
        link_edges(nodes, tree, ids) ++
        [
          "  classDef supervisor fill:#ede7f6,stroke:#4e2a8e,stroke-width:2px",
          "  classDef worker fill:#ffffff,stroke:#4e2a8e",
          "  classDef down fill:#fde0dc,stroke:#c62828,stroke-dasharray:3"
        ]

    Enum.join(lines, "\n")
  end

  defp flatten(tree), do: [tree | Enum.flat_map(tree.children, &flatten/1)]

  defp node_line(node, ids) do
    class = cond do
      not is_pid(node.pid) -> "down"
      node.kind == :supervisor -> "supervisor"
      true -> "worker"
    end

    ~s(  #{ids[node.pid]}["#{label(node)}"]:::#{class})
  end

  defp label(node) do
    title = escape(inspect(node.name || known_id(node.id) || node.module || node.pid))
    pid = if is_pid(node.pid), do: pid_text(node.pid), else: to_string(node.pid)

    case node.strategy do
      nil -> "#{title}<br/><small>#{pid}</small>"
      {:dynamic, strategy} -> "#{title}<br/><small>DynamicSupervisor #{strategy} · #{pid}</small>"
      strategy -> "#{title}<br/><small>#{strategy} · #{pid}</small>"
    end
  end

  defp known_id(:undefined), do: nil
  defp known_id(id), do: id

  defp supervision_edges(tree, ids) do
    Enum.flat_map(tree.children, fn child ->
      ["  #{ids[tree.pid]} --> #{ids[child.pid]}" | supervision_edges(child, ids)]
    end)
  end

  # Links that are not supervision: each pair once.
  defp link_edges(nodes, tree, ids) do
    supervised = tree |> parent_pairs() |> MapSet.new()

    for %{pid: pid} <- nodes, is_pid(pid), {:links, links} <- [Process.info(pid, :links)],
        other <- links, Map.has_key?(ids, other), pid < other,
        not MapSet.member?(supervised, {pid, other}) and not MapSet.member?(supervised, {other, pid}),
        do: "  #{ids[pid]} -.-|link| #{ids[other]}"
  end

  defp parent_pairs(tree) do
    Enum.flat_map(tree.children, fn child -> [{tree.pid, child.pid} | parent_pairs(child)] end)
  end

  @doc false
  def pid_text(pid), do: pid |> :erlang.pid_to_list() |> to_string() |> String.trim_leading("<") |> String.trim_trailing(">")

  @doc false
  def escape(text) do
    text
    |> String.replace("#", "#35;")
    |> String.replace("\"", "#quot;")
    |> String.replace("<", "#lt;")
    |> String.replace(">", "#gt;")
  end
end
