defmodule Tracking.StatusEventHiddenTest do
  use ExUnit.Case

  alias Tracking.StatusEvent

  @limit 65_536

  @tag points: 2
  test "the size is checked before decoding: an oversized body is refused whatever it holds" do
    garbage = :binary.copy("not a term ", 10_000)
    result = safe_decode(garbage)

    assert result == {:error, :payload_too_large},
           "decode/1 got #{byte_size(garbage)} bytes of garbage and returned #{inspect(result)}: " <>
             "it looked inside before checking the size. Refuse an oversized body first, " <>
             "before spending any work on it."

    name = new_atom_name()
    padding = :binary.copy("x", 100_000)
    body = map_with_new_atom_key(name, padding)
    result = safe_decode(body)

    refute atom_exists?(name),
           "decode/1 created the atom :#{name} while decoding a #{byte_size(body)}-byte body " <>
             "it should have refused unread"

    assert result == {:error, :payload_too_large},
           "an oversized body must be refused with {:error, :payload_too_large}, got #{inspect(result)}"
  end

  @tag points: 1
  test "the limit is 65,536 bytes: a body of exactly that size is accepted, one byte more is refused" do
    at_limit = message_of_size(@limit)
    over = message_of_size(@limit + 1)

    result = safe_decode(at_limit)

    assert result == {:ok, %{shipment_id: "shp_1", status: :delivered}},
           "a #{@limit}-byte body is within the limit and must be decoded, got #{inspect(result)}"

    result = safe_decode(over)

    assert result == {:error, :payload_too_large},
           "a #{@limit + 1}-byte body is over the limit and must be refused, got #{inspect(result)}"
  end

  @tag points: 2
  test "garbage bodies are answered {:error, :invalid_payload}, never raise, and create no atoms" do
    names = for _ <- 1..300, do: new_atom_name()

    crafted =
      Enum.flat_map(names, fn name ->
        [
          <<131, 119, byte_size(name), name::binary>>,
          <<131, 118, byte_size(name)::16, name::binary>>,
          <<131, 100, byte_size(name)::16, name::binary>>
        ]
      end)

    valid = :erlang.term_to_binary(%{"shipment_id" => "shp_1", "status" => "delivered"})
    truncated = binary_part(valid, 0, div(byte_size(valid), 2))
    random = for _ <- 1..700, do: :rand.bytes(:rand.uniform(200))

    bodies = [<<>>, <<131>>, truncated, "shp_1 delivered" | random] ++ crafted
    warm_up = hd(random)
    safe_decode(warm_up)

    before = :erlang.system_info(:atom_count)
    results = Enum.map(bodies, &{&1, safe_decode(&1)})
    created = :erlang.system_info(:atom_count) - before

    for {body, result} <- results do
      assert result == {:error, :invalid_payload},
             "decode/1 must answer a body it cannot use with {:error, :invalid_payload}: the " <>
               "consumer then acks or dead-letters the message instead of crashing on it. For " <>
               "#{inspect(body, limit: 20)} it gave #{inspect(result)}"
    end

    leaked = Enum.count(names, &atom_exists?/1)

    assert leaked == 0 and created < 100,
           "decoding garbage created #{created} atoms (#{leaked} of them named in the bodies): " <>
             "use :erlang.binary_to_term(body, [:safe]) so a body can only refer to atoms that " <>
             "already exist"
  end

  @tag points: 1
  test "terms of the wrong shape are answered {:error, :invalid_payload}" do
    terms = [
      [1, 2, 3],
      {"status", "delivered"},
      "delivered",
      %{"status" => "delivered"},
      %{"shipment_id" => "shp_1"},
      %{"shipment_id" => "shp_1", "status" => 42},
      %{"shipment_id" => "shp_1", "status" => nil},
      %{"shipment_id" => 7, "status" => "delivered"}
    ]

    for term <- terms do
      result = safe_decode(:erlang.term_to_binary(term))

      assert result == {:error, :invalid_payload},
             "decode/1 got the term #{inspect(term)}, which is not a map with string " <>
               "\"shipment_id\" and \"status\", and returned #{inspect(result)}"
    end

    for params <- [%{}, %{"shipment_id" => "shp_1"}, %{"shipment_id" => "shp_1", "status" => 1}] do
      result = safe(fn -> StatusEvent.cast(params) end)

      assert result == {:error, :invalid_payload},
             "cast/1 got #{inspect(params)} from the webhook and returned #{inspect(result)}: " <>
               "validate the shape at the boundary and answer {:error, :invalid_payload}"
    end
  end

  defp safe_decode(body), do: safe(fn -> StatusEvent.decode(body) end)

  defp safe(fun) do
    fun.()
  rescue
    exception -> {:raised, exception}
  end

  defp message_of_size(size) do
    base = %{"shipment_id" => "shp_1", "status" => "delivered", "note" => ""}
    pad = size - byte_size(:erlang.term_to_binary(base))
    body = :erlang.term_to_binary(%{base | "note" => :binary.copy("x", pad)})
    ^size = byte_size(body)
    body
  end

  defp new_atom_name,
    do: "carrier_" <> Base.encode32(:rand.bytes(10), case: :lower, padding: false)

  defp atom_exists?(name) do
    _ = String.to_existing_atom(name)
    true
  rescue
    ArgumentError -> false
  end

  # %{"shipment_id" => "shp_1", "status" => "delivered", :"<name>" => padding}, in the
  # external term format, built byte by byte so that the test never creates the atom.
  defp map_with_new_atom_key(name, padding) do
    string = fn s -> <<109, byte_size(s)::32, s::binary>> end
    atom = <<119, byte_size(name), name::binary>>

    <<131, 116, 3::32>> <>
      string.("shipment_id") <>
      string.("shp_1") <> string.("status") <> string.("delivered") <> atom <> string.(padding)
  end
end
