defmodule Checkout.Events do
  @moduledoc """
  A tiny in-process event bus, shaped like `:telemetry` (which this project does not depend on).

    * `attach(handler_id, event, handler)` subscribes the calling process: from then on every
      `emit(event, ...)` calls `handler.(event, measurements, metadata)`. The subscription ends
      with `detach(handler_id)` or when the subscribing process exits.
    * `emit(event, measurements, metadata)` calls every handler attached to `event`, in the
      process that emits, before it returns. `event` is a list of atoms such as
      `[:checkout, :request, :stop]`; `measurements` and `metadata` are maps.

  A handler that raises is logged and skipped, so a broken subscriber cannot break the code
  that emits.
  """
  require Logger

  @registry __MODULE__.Registry

  @doc false
  def child_spec(_opts), do: Registry.child_spec(keys: :duplicate, name: @registry)

  @spec attach(term, [atom], (list, map, map -> any)) :: :ok
  def attach(handler_id, event, handler) when is_list(event) and is_function(handler, 3) do
    {:ok, _owner} = Registry.register(@registry, event, {handler_id, handler})
    :ok
  end

  @spec detach(term) :: :ok
  def detach(handler_id) do
    for event <- Registry.keys(@registry, self()),
        do: Registry.unregister_match(@registry, event, {handler_id, :_})

    :ok
  end

  @spec emit([atom], map, map) :: :ok
  def emit(event, measurements, metadata)
      when is_list(event) and is_map(measurements) and is_map(metadata) do
    for {_owner, {handler_id, handler}} <- Registry.lookup(@registry, event) do
      try do
        handler.(event, measurements, metadata)
      rescue
        error ->
          Logger.error("event handler #{inspect(handler_id)} raised: " <> Exception.message(error))
      end
    end

    :ok
  end
end
