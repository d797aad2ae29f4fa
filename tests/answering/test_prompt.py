"""What a language model is shown (and never shown), and how its reply is read back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.answering.generators.base import GenerationRequest
from frontdesk.answering.generators.prompt import ReplyReader, messages, parse_reply
from frontdesk.knowledge.hits import Hit


def hit(title: str, text: str, location: str = "", source: str = "faq.md") -> Hit:
    return Hit(
        chunk_id=1, source_id="src", source=source, title=title, location=location, url=None,
        text=text,
    )  # fmt: skip


HOURS = hit("Service — Hours", "The service department is open Tuesday to Friday, 8:00-17:30.")
PRICES = hit("price_list.pdf", "A tune-up costs $189.", location="page 2")
REQUEST = GenerationRequest(
    question="When can I bring my sled in?",
    passages=[HOURS, PRICES],
    instructions="You are Ridgeline Powersports' assistant. Be warm and brief.",
    language="en",
    history=(
        ("visitor", "Hi there"),
        ("ai", "Hi! Ask me about sleds, quads and service."),
        ("member", "Sam here from service."),
        ("note", "VIP customer, owes us $40"),
        ("system", "conversation assigned to Sam"),
    ),
)


def test_system_message_holds_instructions_rules_and_numbered_passages() -> None:
    chat = messages(REQUEST)
    system = chat[0]
    assert system["role"] == "system"
    text = system["content"]
    assert text.startswith("You are Ridgeline Powersports' assistant. Be warm and brief.")
    assert "Answer only from the numbered passages" in text
    assert "like [1]" in text
    assert "say so in one sentence" in text
    assert "one to three sentences" in text
    assert "[1] Service — Hours\nThe service department is open Tuesday to Friday" in text
    assert "[2] Price list, page 2\nA tune-up costs $189." in text
    assert "[3]" not in text


def test_conversation_is_the_visible_turns_then_the_question() -> None:
    chat = messages(REQUEST)
    assert chat[1:] == [
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hi! Ask me about sleds, quads and service."},
        {"role": "assistant", "content": "Sam here from service."},
        {"role": "user", "content": "When can I bring my sled in?"},
    ]


def test_the_model_sees_nothing_beyond_what_it_was_given() -> None:
    everything = "\n".join(m["content"] for m in messages(REQUEST))
    assert "VIP customer" not in everything and "$40" not in everything
    assert "assigned to Sam" not in everything
    # Every line is the instructions, a rule, a passage, a turn or the question.
    given_text = [
        REQUEST.instructions, REQUEST.question, HOURS.text, PRICES.text,
        *(text for _, text in REQUEST.history),
    ]  # fmt: skip
    for line in everything.splitlines():
        if line.startswith(("- ", "[", "Rules:", "Passages:")) or not line.strip():
            continue
        assert any(line in text for text in given_text), line


def test_no_passages_and_no_instructions() -> None:
    chat = messages(GenerationRequest(question="Anything?", passages=[]))
    assert chat[0]["content"].startswith("Rules:")
    assert "Passages: none." in chat[0]["content"]
    assert chat[1:] == [{"role": "user", "content": "Anything?"}]


def test_language_is_asked_for() -> None:
    request = GenerationRequest(question="¿Cuándo abren?", passages=[HOURS], language="es")
    assert "plain text in es" in messages(request)[0]["content"]


@pytest.mark.parametrize(
    ("raw", "text", "cited"),
    [
        ("We are open Tuesday to Friday [1].", "We are open Tuesday to Friday.", [0]),
        ("Open Tuesday [1]. A tune-up is $189 [2].", "Open Tuesday. A tune-up is $189.", [0, 1]),
        ("Both [2][1] and again [2].", "Both and again.", [1, 0]),
        ("See [1, 2].", "See.", [0, 1]),
        ("See [Passage 2].", "See.", [1]),
        ("Invented [3] and [0] and [12].", "Invented and and.", []),
        ("No citation at all.", "No citation at all.", []),
        ("A list [a] stays, and [1 stays too.", "A list [a] stays, and [1 stays too.", []),
        ("  [1] Leading marker.  ", "Leading marker.", [0]),
        ("", "", []),
        ("[1]", "", [0]),
    ],
)
def test_parse_reply(raw: str, text: str, cited: list[int]) -> None:
    assert parse_reply(raw, passages=2) == (text, cited)


def _read(pieces: list[str], passages: int = 2) -> tuple[list[str], ReplyReader]:
    reader = ReplyReader(passages)
    out = [reader.feed(piece) for piece in pieces]
    out.append(reader.close())
    return [piece for piece in out if piece], reader


def test_streamed_markers_never_show_even_split_across_pieces() -> None:
    pieces = [
        "We",
        " are",
        " open",
        " Tuesday",
        " [",
        "1",
        "]",
        ".",
        " Tune",
        "-up",
        " $189",
        " [2",
        "].",
    ]
    shown, reader = _read(pieces)
    assert not any("[" in piece or "]" in piece for piece in shown)
    assert "".join(shown) == reader.text == "We are open Tuesday. Tune-up $189."
    assert reader.cited == [0, 1]
    assert shown[0] == "We"  # a piece is shown as soon as it cannot start a marker


def test_streamed_bracket_that_is_no_marker_is_shown_once_known() -> None:
    shown, reader = _read(["Plans", " [", "basic", "]", " and", " [1"])
    assert "".join(shown) == "Plans [basic] and [1"
    assert reader.cited == []


@given(st.lists(st.sampled_from(["a", " ", "[", "1", "2", "3", "]", ",", ".", "x", "\n"])))
def test_streaming_reads_exactly_as_the_whole_reply(tokens: list[str]) -> None:
    shown, reader = _read(tokens, passages=2)
    raw = "".join(tokens)
    assert ("".join(shown), reader.cited) == parse_reply(raw, passages=2)
