"""The answer pipeline: grounded answers with citations, and refusal below the threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.answering.pipeline import NOT_FOUND
from frontdesk.answering.schemas import AnswerOut
from frontdesk.errors import InvalidInput
from frontdesk.knowledge.text import split_sentences

SERVICE = """# Service department

## Hours
The service department is open Tuesday to Friday from 8:00 to 17:30 and on Saturday
from 9:00 to 14:00. It is closed on Sunday and Monday.

## Prices
A snowmobile tune-up costs $189. An ATV oil change costs $79. Winterization of a personal
watercraft is $149 including fuel stabilizer.

## Booking
Book service by phone or through the online form; we confirm within one business day.
"""

INVENTORY = """Model,Type,Year,Price
Glacier 850,Snowmobile,2025,"$12,999"
Glacier 600,Snowmobile,2021,"$7,450"
Trailhawk 570,ATV,2024,"$8,499"
"""


@pytest.fixture
async def dealer(started, tmp_path: Path):
    agent = await started.agent("Dealer", confidence_threshold=0.4)
    (tmp_path / "service.md").write_text(SERVICE)
    (tmp_path / "inventory.csv").write_text(INVENTORY)
    await started.ingest_file(agent, tmp_path / "service.md")
    await started.ingest_file(agent, tmp_path / "inventory.csv")
    return agent


def _quoted_from(answer: AnswerOut, corpus: str) -> None:
    """Every sentence of an extractive prose answer is quoted from the sources."""
    flat = " ".join(corpus.split())
    for sentence in split_sentences(answer.answer):
        assert sentence in flat, sentence


async def test_answers_a_price_from_the_inventory_row(started, dealer) -> None:
    answer = await started.runtime.answers.ask(dealer, "What does the Glacier 850 cost?")
    assert "$12,999" in answer.answer
    assert not answer.handoff.triggered
    assert answer.confidence >= dealer.confidence_threshold
    assert answer.citations[0].source == "inventory.csv"
    assert answer.citations[0].location.startswith("row ")
    assert "$8,499" not in answer.answer and "$7,450" not in answer.answer


async def test_answers_from_prose_quoting_the_source(started, dealer) -> None:
    answer = await started.runtime.answers.ask(
        dealer, "is the service department open on saturdays?"
    )
    assert "9:00" in answer.answer
    assert answer.citations and answer.citations[0].source == "service.md"
    assert "Hours" in answer.citations[0].title or "Hours" in answer.citations[0].location
    assert not answer.handoff.triggered
    _quoted_from(answer, SERVICE)


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Peru?",
        "Can you write me a poem about the sea?",
        "Do you sell sailboats?",
    ],
)
async def test_refuses_instead_of_guessing(started, dealer, question: str) -> None:
    answer = await started.runtime.answers.ask(dealer, question)
    assert answer.handoff.triggered
    assert answer.handoff.trigger == "low_confidence"
    assert "threshold" in (answer.handoff.reason or "")
    assert answer.answer.startswith(NOT_FOUND)
    assert dealer.handoff_message in answer.answer
    assert answer.citations == []
    assert answer.confidence < dealer.confidence_threshold


async def test_agent_without_knowledge_refuses(started) -> None:
    empty = await started.agent("Empty")
    answer = await started.runtime.answers.ask(empty, "What does the Glacier 850 cost?")
    assert answer.handoff.triggered and answer.citations == []
    assert "nothing in the agent's knowledge" in (answer.handoff.reason or "")


async def test_threshold_decides(started, dealer) -> None:
    dealer.confidence_threshold = 1.0
    strict = await started.runtime.answers.ask(dealer, "What does the Glacier 850 cost?")
    assert strict.handoff.triggered
    dealer.confidence_threshold = 0.0
    lenient = await started.runtime.answers.ask(dealer, "What does the Glacier 850 cost?")
    assert not lenient.handoff.triggered


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001])
async def test_rejects_empty_and_huge_questions(started, dealer, question: str) -> None:
    with pytest.raises(InvalidInput) as info:
        await started.runtime.answers.ask(dealer, question)
    assert info.value.field == "question"
