defmodule Tracking.StatusEventTest do
  use ExUnit.Case

  alias Tracking.StatusEvent

  @known %{
    "label_created" => :label_created,
    "picked_up" => :picked_up,
    "in_transit" => :in_transit,
    "out_for_delivery" => :out_for_delivery,
    "delivered" => :delivered,
    "returned" => :returned
  }

  @tag points: 1
  test "every known status string maps to its status atom" do
    for {string, atom} <- @known do
      result = StatusEvent.cast(%{"shipment_id" => "shp_1", "status" => string})

      assert result == {:ok, %{shipment_id: "shp_1", status: atom}},
             "the carrier sent the known status #{inspect(string)}: cast/1 must answer " <>
               "{:ok, %{shipment_id: \"shp_1\", status: #{inspect(atom)}}}, it returned #{inspect(result)}"
    end
  end

  @tag points: 1
  test "a well-formed queue message decodes to a checked event" do
    body = :erlang.term_to_binary(%{"shipment_id" => "shp_9", "status" => "delivered"})
    result = StatusEvent.decode(body)

    assert result == {:ok, %{shipment_id: "shp_9", status: :delivered}},
           "decode/1 got a small, well-formed message and returned #{inspect(result)}"

    # Other keys are ignored, whatever their type: gateway versions add fields.
    params = %{
      "shipment_id" => "shp_9",
      "status" => "delivered",
      "carrier" => "dhl",
      :source => :gateway,
      1 => "scan 1",
      {"depot", "LHR4"} => nil
    }

    for {what, result} <- [
          {"decode/1", StatusEvent.decode(:erlang.term_to_binary(params))},
          {"cast/1", StatusEvent.cast(params)}
        ] do
      assert result == {:ok, %{shipment_id: "shp_9", status: :delivered}},
             "#{what} got a well-formed event with other keys as well, #{inspect(params)}, " <>
               "and returned #{inspect(result)}: only \"shipment_id\" and \"status\" are " <>
               "checked, other keys are ignored, whatever their type"
    end
  end

  @tag points: 1
  test "an unknown status is answered with {:error, {:unknown_status, status}}" do
    result = StatusEvent.cast(%{"shipment_id" => "shp_1", "status" => "teleported"})

    assert result == {:error, {:unknown_status, "teleported"}},
           "a status we do not know must be refused with a clear error the caller can log " <>
             "and answer with, but cast/1 returned #{inspect(result)}"

    # Only the six exact strings are known: a look-alike is an unknown status, and the
    # status comes back exactly as it was sent, however long.
    for status <- [
          "DELIVERED",
          "Delivered",
          "delivered ",
          " in_transit",
          "delayed_depot_LHR4_06:10:31_handed_over_to_partner_carrier_for_final_mile"
        ] do
      result = StatusEvent.cast(%{"shipment_id" => "shp_1", "status" => status})

      assert result == {:error, {:unknown_status, status}},
             "cast/1 got the status #{inspect(status)} and returned #{inspect(result)}: only " <>
               "the exact strings of Tracking.Shipment.statuses/0 are known (no trimming, no " <>
               "case folding), anything else is {:error, {:unknown_status, status}} with the " <>
               "status as it was sent"
    end
  end

  @tag points: 3
  test "1,000 made-up statuses create no atoms (atoms are never garbage collected)" do
    # Three rounds of 1,000 fresh strings; the smallest count is kept, so an atom some other
    # part of the VM happens to create meanwhile cannot fail a correct fix.
    created =
      for _round <- 1..3 do
        statuses = random_statuses(1_000)
        StatusEvent.cast(%{"shipment_id" => "shp_1", "status" => hd(random_statuses(1))})

        atoms_created(fn ->
          Enum.each(statuses, &StatusEvent.cast(%{"shipment_id" => "shp_1", "status" => &1}))
        end)
      end
      |> Enum.min()

    assert created == 0,
           "cast/1 created #{created} new atoms for 1,000 statuses nobody knows. The atom table " <>
             "is never garbage collected and the VM dies when it is full (1,048,576 atoms by " <>
             "default): anyone who can send a status can crash the node. Map the string to one " <>
             "of the known atoms instead of turning it into an atom."

    result = StatusEvent.cast(%{"shipment_id" => "shp_1", "status" => hd(random_statuses(1))})

    assert match?({:error, {:unknown_status, _}}, result),
           "a made-up status must be refused with {:error, {:unknown_status, status}}, got #{inspect(result)}"
  end

  @tag points: 2
  test "a message over 64 KiB is refused with {:error, :payload_too_large}" do
    note = String.duplicate("x", 1_000_000)

    body =
      :erlang.term_to_binary(%{"shipment_id" => "shp_1", "status" => "delivered", "note" => note})

    result = StatusEvent.decode(body)

    assert result == {:error, :payload_too_large},
           "decode/1 got a #{byte_size(body)}-byte body, far over the 65,536-byte limit, and " <>
             "returned #{inspect(result)}. Check the size first: a queue or a client can send " <>
             "anything, and decoding a huge body costs memory and CPU before you even look at it."
  end

  @tag points: 2
  test "a message carrying a never-seen atom is refused, and the atom is not created" do
    name = "injected_" <> Base.encode32(:rand.bytes(10), case: :lower, padding: false)
    # A term built byte by byte so that this test itself never creates the atom:
    # %{"shipment_id" => "shp_1", "status" => "delivered", :"injected_..." => "x"}
    body = map_with_new_atom_key(name)
    result = StatusEvent.decode(body)

    refute atom_exists?(name),
           "decoding the message created the atom :#{name}. :erlang.binary_to_term/1 creates " <>
             "every atom a message carries, so a sender can fill the atom table: decode external " <>
             "binaries with :erlang.binary_to_term(body, [:safe])."

    assert result == {:error, :invalid_payload},
           "a message that cannot be decoded safely must be refused with {:error, :invalid_payload}, " <>
             "got #{inspect(result)}"
  end

  defp random_statuses(n) do
    for _ <- 1..n, do: "status_" <> Base.encode32(:rand.bytes(10), case: :lower, padding: false)
  end

  defp atoms_created(fun) do
    before = :erlang.system_info(:atom_count)
    fun.()
    :erlang.system_info(:atom_count) - before
  end

  defp atom_exists?(name) do
    _ = String.to_existing_atom(name)
    true
  rescue
    ArgumentError -> false
  end

  # External term format: 131, then a map (116) of 3 pairs; strings are binaries (109) and
  # the atom is a SMALL_ATOM_UTF8_EXT (119).
  defp map_with_new_atom_key(name) do
    string = fn s -> <<109, byte_size(s)::32, s::binary>> end
    atom = <<119, byte_size(name), name::binary>>

    <<131, 116, 3::32>> <>
      string.("shipment_id") <>
      string.("shp_1") <> string.("status") <> string.("delivered") <> atom <> string.("x")
  end
end
