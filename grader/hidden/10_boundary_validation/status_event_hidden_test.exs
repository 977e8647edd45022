defmodule Tracking.StatusEventHiddenTest do
  use ExUnit.Case

  alias Tracking.StatusEvent

  @limit 65_536
  # 1,000,000 words, 8 MB: ample for decoding an event, an eighth of the compressed bomb.
  @heap_words 1_000_000

  @tag points: 2
  test "a status that names an existing atom but no shipment status is refused" do
    # Each of these strings names an atom that exists in every running node. A lookup of
    # "some existing atom" (String.to_existing_atom/1) finds them all; only the six statuses
    # of Tracking.Shipment may come out of the boundary.
    for status <- [
          "ok",
          "error",
          "nil",
          "true",
          "infinity",
          "Elixir.File",
          "Elixir.Tracking.Shipment"
        ] do
      result = safe(fn -> StatusEvent.cast(%{"shipment_id" => "shp_1", "status" => status}) end)

      assert result == {:error, {:unknown_status, status}},
             "cast/1 got the status #{inspect(status)} and returned #{inspect(result)}. That " <>
               "string names an atom that already exists, but it is not a shipment status: " <>
               "only the strings of Tracking.Shipment.statuses/0 map to an atom, anything " <>
               "else is {:error, {:unknown_status, status}}. An existing atom is not an " <>
               "allowed one; look the string up among the known statuses."
    end

    body = :erlang.term_to_binary(%{"shipment_id" => "shp_1", "status" => "nil"})
    result = safe_decode(body)

    assert result == {:error, {:unknown_status, "nil"}},
           "decode/1 got a message with the status \"nil\" and returned #{inspect(result)}: " <>
             "it must be refused with {:error, {:unknown_status, \"nil\"}}"
  end

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

    # Carriers send names with accents: "é" is one character and two bytes.
    over_in_bytes = message_of_size(@limit + 1, "é")
    result = safe_decode(over_in_bytes)

    assert result == {:error, :payload_too_large},
           "a #{@limit + 1}-byte body whose text is mostly \"é\" (#{String.length(over_in_bytes)} " <>
             "characters) is over the limit and must be refused, got #{inspect(result)}: the " <>
             "limit counts bytes (byte_size/1), not characters"
  end

  @tag points: 2
  test "a compressed body that would decode past the limit is refused before it is inflated" do
    # term_to_binary(term, compressed: 9) is legal ETF: <<131, 80, decoded_size::32, zlib::binary>>.
    # The VM refuses a body whose header lies about decoded_size, so the header is a bound.
    bomb = compressed_note_of_zeros(5_000_000)
    <<131, 80, declared::32, _::binary>> = bomb
    result = decode_with_capped_heap(bomb)

    what =
      if result == :killed,
        do: "inflated it: the process that called decode/1, its heap capped at 8 MB, was killed",
        else: "returned #{inspect(result)}"

    assert result == {:error, :payload_too_large},
           "decode/1 got a #{byte_size(bomb)}-byte compressed body whose header declares it " <>
             "decodes to #{declared} bytes (a list that takes about 80 MB of heap), and #{what}. " <>
             "A size limit on the body does not bound what a compressed body decodes to: read " <>
             "the size it declares from its header, before decoding, and refuse it with " <>
             "{:error, :payload_too_large} when that is over #{@limit} bytes."

    over = :erlang.term_to_binary(event_with_note(:binary.copy("x", 100_000)), compressed: 9)
    <<131, 80, declared::32, _::binary>> = over
    result = decode_with_capped_heap(over)

    assert result == {:error, :payload_too_large},
           "decode/1 got a #{byte_size(over)}-byte compressed body whose header declares it " <>
             "decodes to #{declared} bytes, over the #{@limit}-byte limit, and returned " <>
             "#{inspect(result)}: it must be refused with {:error, :payload_too_large}"

    # "Over 65,536 bytes" is refused: a compressed body that declares exactly 65,536 is not.
    at_limit = compressed_declaring(@limit)
    result = decode_with_capped_heap(at_limit)

    assert result == {:ok, %{shipment_id: "shp_1", status: :delivered}},
           "decode/1 got a #{byte_size(at_limit)}-byte compressed event whose header declares " <>
             "exactly #{@limit} bytes decoded, and returned #{inspect(result)}: the limit is " <>
             "over #{@limit} bytes, for the size a compressed body declares as for the size of a body"

    over_limit = compressed_declaring(@limit + 1)
    result = decode_with_capped_heap(over_limit)

    assert result == {:error, :payload_too_large},
           "decode/1 got a compressed event whose header declares #{@limit + 1} bytes decoded, " <>
             "one over the limit, and returned #{inspect(result)}"

    small = :erlang.term_to_binary(event_with_note(:binary.copy("x", 1_000)), compressed: 9)
    <<131, 80, declared::32, _::binary>> = small
    result = decode_with_capped_heap(small)

    assert result == {:ok, %{shipment_id: "shp_1", status: :delivered}},
           "decode/1 got a #{byte_size(small)}-byte compressed event that declares " <>
             "#{declared} bytes decoded, well within the limit, and returned #{inspect(result)}: " <>
             "compression is legal ETF, a small compressed event is accepted like any other"
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

    # The same atoms in compressed bodies, small enough to be decoded: the compressed path
    # must decode with [:safe] too. A well-formed event carrying a new atom is refused as well.
    compressed =
      Enum.flat_map(Enum.take(names, 100), fn name ->
        [
          compress(<<119, byte_size(name), name::binary>>),
          compress(<<100, byte_size(name)::16, name::binary>>),
          compress(map_with_new_atom_key_term(name, "x"))
        ]
      end)

    valid = :erlang.term_to_binary(%{"shipment_id" => "shp_1", "status" => "delivered"})
    truncated = binary_part(valid, 0, div(byte_size(valid), 2))
    random = for _ <- 1..700, do: :rand.bytes(:rand.uniform(200))

    bodies = [<<>>, <<131>>, truncated, "shp_1 delivered" | random] ++ crafted ++ compressed

    results = Enum.map(bodies, &{&1, safe_decode(&1)})

    for {body, result} <- results do
      assert result == {:error, :invalid_payload},
             "decode/1 must answer a body it cannot use with {:error, :invalid_payload}: the " <>
               "consumer then acks or dead-letters the message instead of crashing on it. For " <>
               "#{inspect(body, limit: 20)} it gave #{inspect(result)}"
    end

    # Counted by name, not by the VM's atom count: other tests load modules (and so create
    # atoms) at the same time.
    leaked = Enum.count(names, &atom_exists?/1)

    assert leaked == 0,
           "decoding garbage created #{leaked} of the atoms named in the bodies: use " <>
             ":erlang.binary_to_term(body, [:safe]) so a body can only refer to atoms that " <>
             "already exist, on every path: a small compressed body is decoded with [:safe] too"
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
      %{"shipment_id" => "shp_1", "status" => :delivered},
      %{"shipment_id" => 7, "status" => "delivered"}
    ]

    for term <- terms do
      result = safe_decode(:erlang.term_to_binary(term))

      why =
        if is_map(term) and is_atom(term["status"]) and term["status"],
          do: ": the status must be a string, even an atom that names a known status",
          else: ""

      assert result == {:error, :invalid_payload},
             "decode/1 got the term #{inspect(term)}, which is not a map with string " <>
               "\"shipment_id\" and \"status\", and returned #{inspect(result)}#{why}"
    end

    webhook_params = [
      %{},
      %{"shipment_id" => "shp_1"},
      %{"shipment_id" => "shp_1", "status" => 1},
      %{"shipment_id" => nil, "status" => "delivered"},
      %{"shipment_id" => "shp_1", "status" => :delivered},
      nil,
      "delivered",
      [{"shipment_id", "shp_1"}, {"status", "delivered"}]
    ]

    for params <- webhook_params do
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

  defp message_of_size(size, char \\ "x") do
    base = %{"shipment_id" => "shp_1", "status" => "delivered", "note" => ""}
    pad = size - byte_size(:erlang.term_to_binary(base))

    note =
      :binary.copy(char, div(pad, byte_size(char))) <>
        :binary.copy("x", rem(pad, byte_size(char)))

    body = :erlang.term_to_binary(%{base | "note" => note})
    ^size = byte_size(body)
    body
  end

  # A compressed event whose header declares that it decodes to exactly `declared` bytes.
  defp compressed_declaring(declared) do
    base = byte_size(:erlang.term_to_binary(event_with_note(""))) - 1
    note = :binary.copy("x", declared - base)
    body = :erlang.term_to_binary(event_with_note(note), compressed: 9)
    <<131, 80, ^declared::32, _::binary>> = body
    body
  end

  defp event_with_note(note),
    do: %{"shipment_id" => "shp_1", "status" => "delivered", "note" => note}

  # event_with_note([0, 0, ...]) with `zeros` zeros, compressed as term_to_binary(term,
  # compressed: 9) would: about 10 KB for 5,000,000 zeros, built without the 80 MB term.
  defp compressed_note_of_zeros(zeros) do
    string = fn s -> <<109, byte_size(s)::32, s::binary>> end
    list = <<108, zeros::32>> <> :binary.copy(<<97, 0>>, zeros) <> <<106>>

    term =
      <<116, 3::32>> <>
        string.("shipment_id") <>
        string.("shp_1") <> string.("status") <> string.("delivered") <> string.("note") <> list

    <<131, 80, byte_size(term)::32, :zlib.compress(term)::binary>>
  end

  # decode/1 in a process whose heap is capped at @heap_words words: a decode that builds a
  # bigger term gets it killed. The cap is checked when the process collects garbage, so it
  # collects before answering.
  defp decode_with_capped_heap(body) do
    {_pid, ref} =
      spawn_monitor(fn ->
        Process.flag(:max_heap_size, %{size: @heap_words, kill: true, error_logger: false})
        result = safe_decode(body)
        :erlang.garbage_collect()
        exit({:decoded, result})
      end)

    receive do
      {:DOWN, ^ref, :process, _pid, {:decoded, result}} -> result
      {:DOWN, ^ref, :process, _pid, :killed} -> :killed
      {:DOWN, ^ref, :process, _pid, reason} -> {:exited, reason}
    end
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
  defp map_with_new_atom_key(name, padding),
    do: <<131>> <> map_with_new_atom_key_term(name, padding)

  defp map_with_new_atom_key_term(name, padding) do
    string = fn s -> <<109, byte_size(s)::32, s::binary>> end
    atom = <<119, byte_size(name), name::binary>>

    <<116, 3::32>> <>
      string.("shipment_id") <>
      string.("shp_1") <> string.("status") <> string.("delivered") <> atom <> string.(padding)
  end

  # A term's encoding (without the leading 131) as term_to_binary(term, compressed: 9) sends it.
  defp compress(term), do: <<131, 80, byte_size(term)::32, :zlib.compress(term)::binary>>
end
