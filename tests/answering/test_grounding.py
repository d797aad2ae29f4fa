"""The grounding guard: a model's answer is sent only when its cited passages back it."""

from __future__ import annotations

from frontdesk.answering.grounding import ungrounded
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
