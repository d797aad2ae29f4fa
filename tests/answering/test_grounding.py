"""The grounding guard: a model's answer is sent only when its cited passages back it."""

from __future__ import annotations

from frontdesk.answering.grounding import GuardedDraft, ungrounded
from frontdesk.knowledge.hits import Hit


def _hit(text: str, title: str = "Pricing") -> Hit:
    return Hit(1, "src_1", "inventory.csv", title, "row 3", None, text)


GLACIER = _hit("Glacier 850: price $12,999, stock RP-2231, available.", "Inventory")


def test_an_answer_citing_nothing_is_not_sent() -> None:
    assert ungrounded("The Glacier 850 is $12,999.", []) == (
        "the answer cites none of the passages it was given"
    )


def test_numbers_and_names_from_the_cited_passage_pass() -> None:
    assert ungrounded("The Glacier 850 is $12999 new (stock RP-2231).", [GLACIER]) is None
    assert ungrounded("Yes, it is available. Ask us for a quote.", [GLACIER]) is None


def test_an_invented_price_is_caught() -> None:
    why = ungrounded("The Glacier 850 is $11,499 new.", [GLACIER])
    assert why == "the answer says 11499, which no cited passage says"


def test_an_invented_product_or_code_is_caught() -> None:
    assert ungrounded("We also have the Glacier Touring in stock.", [GLACIER]) == (
        "the answer names 'touring', which no cited passage mentions"
    )
    assert "9999" in str(ungrounded("Its stock number is RP-9999.", [GLACIER]))
    assert ungrounded("Ask for the XR-Pro kit.", [GLACIER]) == (
        "the answer names 'xr-pro', which no cited passage mentions"
    )


def test_the_question_and_the_agents_own_words_count_as_known() -> None:
    answer = "Hi Sam, Ridgeline has the Glacier 850 for $12,999."
    assert ungrounded(answer, [GLACIER]) is not None
    assert ungrounded(answer, [GLACIER], known=("Ridgeline", "I am Sam")) is None


async def _watched(pieces: list[str], passages: list[Hit]) -> list[str]:
    """What a visitor is shown of a reply written in ``pieces``."""
    shown: list[str] = []

    async def show(text: str) -> None:
        shown.append(text)

    draft = GuardedDraft(show, passages, known=("Ridgeline",))
    for piece in pieces:
        await draft(piece)
    await draft.finish()
    return shown


async def test_a_backed_draft_is_shown_whole_word_by_word() -> None:
    pieces = ["The Gl", "acier 8", "50 is $12", ",999 new", " at Ridgeline."]
    shown = await _watched(pieces, [GLACIER])
    assert "".join(shown) == "".join(pieces)
    # A number goes out once complete: never "8" or "$12" on their own.
    assert all(not part.rstrip().endswith(("8", "$12")) for part in shown), shown


async def test_a_draft_stops_before_an_invented_price() -> None:
    pieces = ["The Glacier", " 850 is", " $11", ",499 new", " and in stock."]
    shown = await _watched(pieces, [GLACIER])
    assert "".join(shown) == "The Glacier 850 is"
    assert "11" not in "".join(shown)


async def test_a_draft_stops_before_an_invented_name() -> None:
    shown = await _watched(["The Glacier 850", " beats the Polaris Indy."], [GLACIER])
    assert "".join(shown) == "The Glacier 850 beats the"
