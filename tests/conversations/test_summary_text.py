"""The extractive summary's text: answers cut at a sentence or a word, never inside one."""

from __future__ import annotations

import pytest

from frontdesk.conversations.summarizer import tidy
from frontdesk.conversations.summary import clip, first_sentence

HOURS = (
    "The service department is open Tuesday to Friday from 8:00 to 17:30 and Saturday "
    "from 9:00 to 14:00."
)
LONG = (
    f"{HOURS} Call us at 218-555-0142 for anything else, and ask for Dana, who handles "
    "trailer and towing questions in the shop. We also ship parts anywhere in the country "
    "within three days."
)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (LONG, HOURS),
        ("Mr. Lee can help. Call him.", "Mr. Lee can help."),
        (
            "It costs approx. 5 dollars a day. More on weekends.",
            "It costs approx. 5 dollars a day.",
        ),
        ("Bring e.g. the trailer. Thanks!", "Bring e.g. the trailer."),
        ("Open at 8 a.m. on Saturday. Closed Sunday.", "Open at 8 a.m. on Saturday."),
        ('She said "call us." Then left.', 'She said "call us."'),
        ("Is it open? Yes.", "Is it open?"),
        ("Version 2.5 is out now. Update soon.", "Version 2.5 is out now."),
        ("No stop at the end", "No stop at the end"),
    ],
)
def test_the_first_sentence_ends_where_the_sentence_does(text: str, first: str) -> None:
    assert first_sentence(text) == first


def test_long_text_is_clipped_after_a_sentence_or_a_word_with_an_ellipsis() -> None:
    clipped = clip(LONG)
    assert len(clipped) <= 240 and clipped.endswith("in the shop. …")
    assert LONG.startswith(clipped.removesuffix(" …"))

    one_long_sentence = "We sell " + ", ".join(f"model {n} trailers" for n in range(60)) + "."
    clipped = clip(one_long_sentence)
    assert len(clipped) <= 240 and clipped.endswith("…")
    words = clipped.removesuffix("…").split()
    assert words == one_long_sentence.split()[: len(words)]  # whole words only
    assert not clipped.removesuffix("…").endswith(",")

    assert clip("x" * 300) == "x" * 238 + "…"  # one word longer than the room is cut
    assert clip("  short   and\nspaced ") == "short and spaced"


def test_the_models_note_is_one_paragraph_of_three_sentences_at_most() -> None:
    note = (
        "**Summary:** The visitor wants a trailer.\n\nThe AI gave the hours. Open: a hold. Extra."
    )
    assert tidy(note) == "The visitor wants a trailer. The AI gave the hours. Open: a hold."
    assert tidy("The handoff note: Wants a hold on a Glacier 850.") == (
        "Wants a hold on a Glacier 850."
    )
    assert tidy('"  "') == ""
