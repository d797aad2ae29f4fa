"""Insights use-cases: the report for an agent (or all) over a range, and answering a gap."""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.agents.models import Agent
from frontdesk.agents.service import get_agent
from frontdesk.db.engine import Database
from frontdesk.embedder.model import Embedder, EmbeddingError, vector_to_bytes
from frontdesk.insights import queries
from frontdesk.insights.gaps import MAX_EXAMPLES, Gap, group_questions, normalised
from frontdesk.insights.period import Period
from frontdesk.insights.queries import Asked, Scope
from frontdesk.insights.schemas import (
    AfterHandoff,
    Csat,
    CsatBucket,
    Day,
    Feedback,
    GapExample,
    GapOut,
    InsightsOut,
    PeriodOut,
    ReplyTimes,
    TagCount,
    TeamCount,
    TriggerCount,
)
from frontdesk.insights.titles import GapTitles, group_of
from frontdesk.knowledge import repository
from frontdesk.knowledge.chunking import content_hash
from frontdesk.knowledge.models import Source
from frontdesk.knowledge.service import KnowledgeService

log = logging.getLogger(__name__)

# Grouping embeds every distinct question: bound the work one report can ask for.
MAX_GAP_QUESTIONS = 2000
MAX_GAPS = 50
GAP_KEY = "Knowledge gap: "  # names a gap's Q&A set apart from the owner's own sets


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont and
    numpy's default: the median of [10, 20, 30, 40] is 25, its p90 37."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * fraction
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Facts:
    """What the database says about a range, before any grouping in Python."""

    totals: queries.Totals
    by_trigger: list[tuple[str, int]]
    by_tag: list[tuple[str | None, str | None, int]]
    by_team: list[tuple[str | None, str | None, int]]
    waits: list[float]
    feedback: dict[str, int]
    csat: dict[int, int]
    created: list[tuple[datetime, bool]]
    asked: list[Asked]
    agent_names: dict[str, str]
    qa_questions: dict[str, set[str]]


async def _facts(session: AsyncSession, scope: Scope, with_gaps: bool) -> Facts:
    asked = await queries.gap_questions(session, scope, MAX_GAP_QUESTIONS) if with_gaps else []
    agents = {item.agent_id for item in asked}
    return Facts(
        totals=await queries.totals(session, scope),
        by_trigger=await queries.handoffs_by_trigger(session, scope),
        by_tag=await queries.handoffs_by_tag(session, scope),
        by_team=await queries.handoffs_by_team(session, scope),
        waits=await queries.first_reply_waits(session, scope),
        feedback=await queries.feedback_counts(session, scope),
        csat=await queries.csat_counts(session, scope),
        created=await queries.created(session, scope),
        asked=asked,
        agent_names=await queries.agent_names(session, agents),
        qa_questions=await queries.qa_questions(session, agents),
    )


def _daily(period: Period, created: Sequence[tuple[datetime, bool]]) -> list[Day]:
    """Local days are bucketed here: SQLite has no time zones, and a fixed offset would be
    wrong on every day that changes to or from summer time."""
    conversations: Counter[date] = Counter()
    handoffs: Counter[date] = Counter()
    for at, handed in created:
        day = period.local_day(at)
        conversations[day] += 1
        handoffs[day] += handed
    return [
        Day(day=day, conversations=conversations[day], handoffs=handoffs[day])
        for day in period.local_days()
    ]


def _csat(counts: dict[int, int]) -> Csat:
    rated = sum(counts.values())
    total = sum(score * n for score, n in counts.items())
    return Csat(
        count=rated,
        average=total / rated if rated else None,
        distribution=[CsatBucket(score=s, count=counts.get(s, 0)) for s in range(1, 6)],
    )


def _gap_out(gap: Gap, agent_id: str, facts: Facts, title: str | None) -> GapOut:
    answered = {normalised(q) for q in facts.qa_questions.get(agent_id, set())}
    items = gap.questions
    return GapOut(
        title=title or gap.question,
        title_by="model" if title else "extractive",
        question=gap.question,
        count=len(items),
        unanswered=sum(item.unanswered for item in items),
        thumbs_down=sum(item.thumbs_down for item in items),
        last_asked_at=max(item.asked_at for item in items),
        agent_id=agent_id,
        agent_name=facts.agent_names.get(agent_id, ""),
        answered=any(normalised(item.text) in answered for item in items),
        examples=[
            GapExample(
                text=item.text,
                conversation_id=item.conversation_id,
                asked_at=item.asked_at,
                reason="unanswered" if item.unanswered else "thumbs_down",
            )
            for item in items[:MAX_EXAMPLES]
        ],
    )


async def _question_vectors(db: Database, embedder: Embedder, texts: list[str]) -> np.ndarray:
    """The questions' vectors through the embedding cache: a question is embedded once, not
    on every load of the report."""
    hashes = [content_hash(text) for text in texts]
    async with db.session() as session:
        cached = await repository.cached_vectors(session, embedder.model_id, hashes)
    todo = [i for i, h in enumerate(hashes) if h not in cached]
    if todo:
        fresh = await asyncio.to_thread(embedder.embed, [texts[i] for i in todo])
        stored = {hashes[i]: vector_to_bytes(fresh[n]) for n, i in enumerate(todo)}
        async with db.transaction() as session:
            await repository.store_vectors(session, embedder.model_id, stored)
        cached.update(stored)
    return np.vstack([np.frombuffer(cached[h], dtype=np.float32) for h in hashes])


async def _knowledge_gaps(
    db: Database, facts: Facts, embedder: Embedder, titles: GapTitles | None = None
) -> list[GapOut]:
    """Each agent's questions grouped apart (an answer is added to one agent), embedded in
    one batch for all of them; titled by the agent's model when ``titles`` has one."""
    texts: dict[str, str] = {}
    for item in facts.asked:
        texts.setdefault(normalised(item.text), item.text)
    if not texts:
        return []
    try:
        vectors = await _question_vectors(db, embedder, list(texts.values()))
    except EmbeddingError as exc:
        # The report still loads: only the exact same questions share a group then.
        log.warning("knowledge gaps are not grouped by meaning: %s", exc.message)
        vectors = np.eye(len(texts), dtype=np.float32)
    row = {key: i for i, key in enumerate(texts)}
    by_agent: dict[str, list[Asked]] = {}
    for item in facts.asked:
        by_agent.setdefault(item.agent_id, []).append(item)
    found: list[tuple[str, Gap]] = []
    for agent_id, asked in by_agent.items():
        keys = list(dict.fromkeys(normalised(item.text) for item in asked))
        matrix = np.asarray(vectors[[row[key] for key in keys]], dtype=np.float32)
        found += [(agent_id, gap) for gap in group_questions(asked, matrix)]
    found.sort(
        key=lambda pair: (
            -len(pair[1].questions),
            -max(item.asked_at for item in pair[1].questions).timestamp(),
            pair[1].question,
        )
    )
    found = found[:MAX_GAPS]
    named: Sequence[str | None] = [None] * len(found)
    if titles is not None:
        named = await titles.titles([group_of(agent_id, gap) for agent_id, gap in found])
    return [
        _gap_out(gap, agent_id, facts, title)
        for (agent_id, gap), title in zip(found, named, strict=True)
    ]


async def build_report(
    db: Database,
    embedder: Callable[[], Embedder],
    workspace_id: str,
    agent_id: str | None,
    period: Period,
    with_gaps: bool = True,
    titles: GapTitles | None = None,
) -> InsightsOut:
    """The whole report; ``with_gaps=False`` skips embedding the knowledge gaps, and
    ``titles`` names them with the agents' models."""
    scope = Scope(workspace_id, agent_id, period.start, period.end)
    async with db.session() as session:
        if agent_id is not None:
            await get_agent(session, workspace_id, agent_id)
        facts = await _facts(session, scope, with_gaps)
    totals = facts.totals
    return InsightsOut(
        agent_id=agent_id,
        period=PeriodOut(start=period.start, end=period.end, tz=period.tz.key),
        conversations=totals.conversations,
        resolved_by_ai=totals.resolved_by_ai,
        deflection_rate=ratio(totals.resolved_by_ai, totals.conversations),
        handoffs=totals.handoffs,
        handoff_rate=ratio(totals.handoffs, totals.conversations),
        handoffs_by_trigger=[TriggerCount(trigger=t, count=n) for t, n in facts.by_trigger],
        handoffs_by_tag=[TagCount(tag=t, color=c, count=n) for t, c, n in facts.by_tag],
        handoffs_by_team=[TeamCount(team_id=i, team=t, count=n) for i, t, n in facts.by_team],
        first_human_reply_s=ReplyTimes(
            count=len(facts.waits),
            median=percentile(facts.waits, 0.5),
            p90=percentile(facts.waits, 0.9),
        ),
        resolution_after_handoff=AfterHandoff(
            handoffs=totals.handoffs,
            closed=totals.closed_after_handoff,
            rate=ratio(totals.closed_after_handoff, totals.handoffs),
        ),
        feedback=Feedback(up=facts.feedback.get("up", 0), down=facts.feedback.get("down", 0)),
        csat=_csat(facts.csat),
        daily=_daily(period, facts.created),
        knowledge_gaps=await _knowledge_gaps(db, facts, embedder(), titles) if with_gaps else [],
    )


def gap_title(question: str) -> str:
    """The question, tidied: the source's title, which a visitor sees when it is cited."""
    question = re.sub(r"\s+", " ", question).strip()[:200]
    return question[:1].upper() + question[1:]


def gap_key(question: str) -> str:
    """One Q&A source per question: answering the same question again replaces it."""
    return (GAP_KEY + re.sub(r"\s+", " ", question).strip())[:200]


async def answer_gap(
    db: Database,
    knowledge: KnowledgeService,
    workspace_id: str,
    agent_id: str,
    question: str,
    answer: str,
) -> tuple[Source, Agent]:
    """Add the question and its answer to the agent's knowledge as a Q&A source."""
    async with db.transaction() as session:
        agent = await get_agent(session, workspace_id, agent_id)
        source = await knowledge.add_qa(
            session, agent, gap_title(question), [(question, answer)], key=gap_key(question)
        )
    return source, agent
