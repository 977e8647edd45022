"""The stream parser: text and frames come out whole and in order, however the bytes arrive."""

import pytest

from iex_kernel.frames import Frame, FrameReader, Text

NONCE = "abc123"
FRAME = '\x02abc123:{"type": "result", "id": 1}\x03'
PROMPT = "\x02abc123:P\x03 "


def feed_in_pieces(stream: str, size: int) -> list:
    reader, events = FrameReader(NONCE), []
    for start in range(0, len(stream), size):
        events.extend(reader.feed(stream[start : start + size]))
    return merge_text(events)


def merge_text(events):
    merged = []
    for event in events:
        if merged and isinstance(event, Text) and isinstance(merged[-1], Text):
            merged[-1] = Text(merged[-1].text + event.text)
        else:
            merged.append(event)
    return merged


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_any_split_gives_the_same_events(size):
    stream = "hello " + FRAME + PROMPT + "world\x02 not ours\x03" + FRAME
    assert feed_in_pieces(stream, size) == [
        Text("hello "),
        Frame({"type": "result", "id": 1}),
        Text("world\x02 not ours\x03"),
        Frame({"type": "result", "id": 1}),
    ]


def test_prompts_and_their_space_are_dropped():
    assert FrameReader(NONCE).feed(PROMPT + "  indented") == [Text("  indented")]


def test_a_frame_with_another_nonce_is_learner_text():
    forged = '\x02other:{"type": "result"}\x03'
    assert FrameReader(NONCE).feed(forged) == [Text(forged)]


def test_an_unreadable_frame_is_reported_not_raised():
    [event] = FrameReader(NONCE).feed("\x02abc123:{not json\x03")
    assert isinstance(event, Text) and "unreadable frame" in event.text


def test_a_partial_marker_at_the_end_is_held_back():
    reader = FrameReader(NONCE)
    assert reader.feed("text\x02abc") == [Text("text")]
    assert reader.feed('123:{"a": 1}\x03') == [Frame({"a": 1})]
