"""Metering at the service level on a real SQLite database: tokens, rollbacks, concurrency."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from app_fixtures import Started
from frontdesk.accounts.service import create_workspace
from frontdesk.agents.service import create_agent
from frontdesk.answering.schemas import AnswerOut, Handoff
from frontdesk.conversations import lifecycle
from frontdesk.conversations.messages import post_ai_answer, post_visitor_message, request_person
from frontdesk.conversations.repository import get_conversation
from frontdesk.errors import InvalidInput
from frontdesk.usage import meter
from frontdesk.usage.models import UsageModel, UsageMonth
from frontdesk.usage.schemas import UsageCounts, UsageReport, UsageTotals
from frontdesk.usage.service import check_range, shift, span, usage_report


def _llm_answer(
    text: str, prompt: int, completion: int, model: str = "gpt-4o-mini", answered: bool = True
) -> AnswerOut:
    """What an LLM generator's answer looks like to the conversation: text plus tokens used."""
    return AnswerOut(
        answer=text,
        citations=[],
        confidence=0.9 if answered else 0.1,
        handoff=Handoff(triggered=False),
        generator="openai",
        answered=answered,
        prompt_tokens=prompt,
        completion_tokens=completion,
        model=model,
    )


async def _report(started: Started, workspace_id: str | None = None) -> UsageReport:
    async with started.runtime.db.session() as session:
        return await usage_report(session, workspace_id or started.workspace_id)


async def _current(started: Started, workspace_id: str | None = None) -> UsageCounts:
    report = await _report(started, workspace_id)
    return UsageCounts.model_validate(report.current.model_dump())


def _by_model(month: UsageTotals) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (m.generator, m.model): (m.answers, m.prompt_tokens, m.completion_tokens)
        for m in month.models
    }


async def test_tokens_an_llm_generator_reports_are_metered_with_its_answers(
    started: Started,
) -> None:
    agent = await started.agent("Dealer")
    async with started.runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await post_visitor_message(session, conversation, "Financing?", "c1", 4000)
        await post_ai_answer(session, agent, conversation, _llm_answer("Yes, we do.", 300, 21))
        await post_visitor_message(session, conversation, "For how long?", "c2", 4000)
        await post_ai_answer(
            session, agent, conversation, _llm_answer("Not sure.", 70, 9, answered=False)
        )
    assert await _current(started) == UsageCounts(
        conversations=1, visitor_messages=2, ai_answers=2, tokens=400
    )


async def test_two_models_are_summed_apart_and_other_workspaces_are_not_counted(
    started: Started,
) -> None:
    ours = await started.agent("Dealer")
    async with started.runtime.changes() as session:
        other_workspace = await create_workspace(session, "Harbor Marine")
        theirs = await create_agent(session, other_workspace.id, "Harbor")
    answers = [
        (ours, _llm_answer("Yes.", 300, 20)),
        (ours, _llm_answer("From 24 months.", 310, 25)),
        (ours, _llm_answer("Tuesday to Friday.", 120, 7, "claude-haiku")),
        (theirs, _llm_answer("We winterize outboards.", 999, 99)),
    ]
    for n, (agent, answer) in enumerate(answers):
        async with started.runtime.changes() as session:
            conversation = (await lifecycle.start_conversation(session, agent)).conversation
            await post_visitor_message(session, conversation, "A question", f"c{n}", 4000)
            await post_ai_answer(session, agent, conversation, answer)

    report = await _report(started)
    assert _by_model(report.current) == {
        ("openai", "gpt-4o-mini"): (2, 610, 45),
        ("openai", "claude-haiku"): (1, 120, 7),
    }
    # Most tokens first; the month's counters are the rows added up.
    assert [m.model for m in report.current.models] == ["gpt-4o-mini", "claude-haiku"]
    assert report.current.ai_answers == 3 and report.current.tokens == 610 + 45 + 120 + 7
    assert report.current.models[0].tokens == 655
    assert _by_model(report.totals) == _by_model(report.current)
    assert _by_model((await _report(started, other_workspace.id)).current) == {
        ("openai", "gpt-4o-mini"): (1, 999, 99)
    }


async def test_a_stored_ai_message_keeps_its_tokens_generator_and_model(
    started: Started,
) -> None:
    agent = await started.agent("Dealer")
    async with started.runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await post_visitor_message(session, conversation, "Financing?", "c1", 4000)
        message = await post_ai_answer(
            session, agent, conversation, _llm_answer("Yes.", 300, 21, "qwen2.5-1.5b.gguf")
        )
    assert message is not None and message.answer is not None
    record = message.answer
    assert (record.prompt_tokens, record.completion_tokens, record.tokens) == (300, 21, 321)
    assert (record.generator, record.model) == ("openai", "qwen2.5-1.5b.gguf")


async def test_canned_ai_texts_are_not_answers_and_a_taken_conversation_gets_none(
    started: Started,
) -> None:
    agent = await started.agent("Dealer")
    async with started.runtime.changes() as session:
        conversation = (await lifecycle.start_conversation(session, agent)).conversation
        await post_visitor_message(session, conversation, "A person, please", "c1", 4000)
        await request_person(session, agent, conversation)  # the handoff message: canned
        # The AI finished thinking after the handoff: its answer is not stored, not counted.
        assert await post_ai_answer(session, agent, conversation, _llm_answer("Hi", 40, 10)) is None
    assert await _current(started) == UsageCounts(conversations=1, visitor_messages=1)


async def test_a_rolled_back_transaction_counts_nothing(started: Started) -> None:
    agent = await started.agent("Dealer")
    with pytest.raises(InvalidInput):
        async with started.runtime.changes() as session:
            conversation = (await lifecycle.start_conversation(session, agent)).conversation
            await post_visitor_message(session, conversation, "hello", "c1", 4000)
            raise InvalidInput("the request failed after the message was written")
    assert await _current(started) == UsageCounts()


async def test_concurrent_writers_each_count_exactly_once(started: Started) -> None:
    agent = await started.agent("Dealer")
    async with started.runtime.changes() as session:
        conversation_id = (await lifecycle.start_conversation(session, agent)).conversation.id

    async def send(n: int) -> None:
        async with started.runtime.changes() as session:
            conversation = await get_conversation(session, started.workspace_id, conversation_id)
            await post_visitor_message(session, conversation, f"message {n}", f"c{n}", 4000)

    async def start() -> None:
        async with started.runtime.changes() as session:
            await lifecycle.start_conversation(session, agent)

    await asyncio.gather(*(send(n) for n in range(25)), *(start() for _ in range(10)))
    # The same client ids again: duplicates, stored and counted once.
    await asyncio.gather(*(send(n) for n in range(25)))
    assert await _current(started) == UsageCounts(conversations=11, visitor_messages=25)


def test_months_are_shifted_and_spanned_across_years() -> None:
    assert shift("2026-01", -1) == "2025-12"
    assert shift("2025-12", 1) == "2026-01"
    assert shift("2026-03", -27) == "2023-12"
    assert span("2025-12", "2026-01") == 2
    assert span("2026-05", "2026-05") == 1
    assert check_range(None, None, "2026-02") == ("2025-03", "2026-02")
    assert check_range(None, "2025-06", "2026-02") == ("2024-07", "2025-06")
    assert check_range("2026-01", None, "2026-02") == ("2026-01", "2026-02")


@pytest.mark.parametrize(
    ("first", "last", "field", "says"),
    [
        ("2026-13", None, "from", "YYYY-MM"),
        (None, "26-01", "to", "YYYY-MM"),
        ("2026-1", None, "from", "YYYY-MM"),
        ("2026-03", "2026-02", "from", "after"),
        ("2000-01", "2026-01", "from", "at most 120"),
    ],
)
def test_bad_ranges_are_refused_with_a_message(
    first: str | None, last: str | None, field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_range(first, last, "2026-02")
    assert raised.value.field == field and says in raised.value.message


async def test_a_models_other_work_counts_its_tokens_but_no_answer(started: Started) -> None:
    """A handoff summary or a gap title: the month's tokens and the model's row, no answer."""
    runtime, workspace = started.runtime, started.workspace_id
    async with runtime.db.transaction() as session:
        await meter.count_answer(session, workspace, None, "openai", "m1", 100, 20)
        await meter.count_model_use(session, workspace, None, "openai", "m1", 50, 10)
    async with runtime.db.session() as session:
        month = (await session.scalars(select(UsageMonth))).one()
        row = (await session.scalars(select(UsageModel))).one()
    assert (month.ai_answers, month.tokens) == (1, 180)
    assert (row.answers, row.prompt_tokens, row.completion_tokens) == (1, 150, 30)
