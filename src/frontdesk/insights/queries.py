"""SQL behind the insights report, over conversations and their messages.

Every metric starts from the *counted* conversations (:func:`counted`). Counts are aggregated
in SQL. What SQL cannot do the same way on SQLite and PostgreSQL (a duration between two
timestamps, a percentile, a local calendar day in a time zone) is done in Python over one
narrow row per conversation. Grouping by an expression (a JSON field, say) happens on a
subquery's plain column, because PostgreSQL does not match two copies of an expression whose
bound parameters differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Subquery, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from frontdesk.agents.models import Agent
from frontdesk.conversations.models import AnswerRecord, Conversation, Message
from frontdesk.knowledge.models import Source
from frontdesk.tags.models import ConversationTag, Tag
from frontdesk.teams.models import Team

# Notes of a person taking the conversation from the AI without a handoff.
PERSON_EVENTS = ("takeover", "assigned")


@dataclass(frozen=True)
class Scope:
    workspace_id: str
    agent_id: str | None
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Totals:
    conversations: int
    handoffs: int
    resolved_by_ai: int
    closed_after_handoff: int


@dataclass(frozen=True)
class Asked:
    """A visitor question the AI could not answer, or whose answer got a thumbs down."""

    message_id: str
    conversation_id: str
    agent_id: str
    text: str
    asked_at: datetime
    unanswered: bool
    thumbs_down: bool


def _utc(value: datetime) -> datetime:
    # SQLite stores naive UTC; bound datetimes must be UTC too, without an offset to drop.
    return value.astimezone(UTC)


def _public_reply(message: type[Message]) -> ColumnElement[bool]:
    return and_(message.author == "member", ~message.private)


def counted(scope: Scope) -> Subquery:
    """The conversations a report counts: created in [start, end) with a visitor message.

    One row each, with ``handoff_seq`` (the first handoff note's seq, null when never handed
    off) and ``person`` (how many public member replies and takeover/assign notes it has).
    """
    c, m = Conversation, Message
    where = [
        c.workspace_id == scope.workspace_id,
        c.created_at >= _utc(scope.start),
        c.created_at < _utc(scope.end),
    ]
    if scope.agent_id is not None:
        where.append(c.agent_id == scope.agent_id)
    person = or_(_public_reply(m), m.event.in_(PERSON_EVENTS))
    return (
        select(
            c.id,
            c.agent_id,
            c.created_at,
            c.status,
            c.team_id,
            c.csat_score,
            c.handoff_trigger,
            func.min(case((m.event == "handoff", m.seq))).label("handoff_seq"),
            func.count(case((person, 1))).label("person"),
        )
        .join(m, m.conversation_id == c.id)
        .where(*where)
        .group_by(c.id)
        .having(func.count(case((m.author == "visitor", 1))) > 0)
        .subquery("counted")
    )


async def totals(session: AsyncSession, scope: Scope) -> Totals:
    k = counted(scope)
    handed = k.c.handoff_seq.is_not(None)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(case((handed, 1))),
                func.count(case((and_(k.c.handoff_seq.is_(None), k.c.person == 0), 1))),
                func.count(case((and_(handed, k.c.status == "closed"), 1))),
            ).select_from(k)
        )
    ).one()
    return Totals(*(int(n or 0) for n in row))


async def handoffs_by_trigger(session: AsyncSession, scope: Scope) -> list[tuple[str, int]]:
    """(trigger of the first handoff, conversations), most first; 'unknown' when unrecorded."""
    k = counted(scope)
    note = aliased(Message)
    each = (
        select(
            func.coalesce(note.payload["trigger"].as_string(), k.c.handoff_trigger).label("trigger")
        )
        .select_from(k)
        .join(note, and_(note.conversation_id == k.c.id, note.seq == k.c.handoff_seq))
        .subquery()
    )
    rows = await session.execute(
        select(each.c.trigger, func.count()).group_by(each.c.trigger).order_by(each.c.trigger)
    )
    found = [(trigger or "unknown", int(n)) for trigger, n in rows.all()]
    return sorted(found, key=lambda row: (-row[1], row[0]))


async def handoffs_by_tag(
    session: AsyncSession, scope: Scope
) -> list[tuple[str | None, str | None, int]]:
    """(tag, colour, handed-off conversations carrying it); tag None: those with no tag."""
    k = counted(scope)
    rows = await session.execute(
        select(Tag.name, Tag.color, func.count(func.distinct(k.c.id)))
        .select_from(k)
        .outerjoin(ConversationTag, ConversationTag.conversation_id == k.c.id)
        .outerjoin(Tag, Tag.id == ConversationTag.tag_id)
        .where(k.c.handoff_seq.is_not(None))
        .group_by(Tag.id, Tag.name, Tag.color)
    )
    found = [(name, color, int(n)) for name, color, n in rows.all()]
    return sorted(found, key=lambda row: (-row[2], row[0] is None, row[0] or ""))


async def handoffs_by_team(
    session: AsyncSession, scope: Scope
) -> list[tuple[str | None, str | None, int]]:
    """(team id, team name, handed-off conversations): the team the first handoff went to, as
    its note recorded it (moving or deleting a team later does not rewrite history; a deleted
    team keeps its id with no name); id None: no team."""
    k = counted(scope)
    note = aliased(Message)
    each = (
        select(note.payload["team_id"].as_string().label("team_id"))
        .select_from(k)
        .join(note, and_(note.conversation_id == k.c.id, note.seq == k.c.handoff_seq))
        .subquery()
    )
    rows = await session.execute(
        select(each.c.team_id, Team.name, func.count())
        .select_from(each)
        .outerjoin(Team, Team.id == each.c.team_id)
        .group_by(each.c.team_id, Team.name)
    )
    found = [(team_id, name, int(n)) for team_id, name, n in rows.all()]
    return sorted(found, key=lambda row: (-row[2], row[0] is None, row[1] or ""))


async def first_reply_waits(session: AsyncSession, scope: Scope) -> list[float]:
    """Seconds from the first handoff note to the first public member reply after it."""
    k = counted(scope)
    note, reply = aliased(Message), aliased(Message)
    first_reply = (
        select(func.min(reply.created_at))
        .where(reply.conversation_id == k.c.id, _public_reply(reply), reply.seq > k.c.handoff_seq)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(note.created_at, first_reply)
        .select_from(k)
        .join(note, and_(note.conversation_id == k.c.id, note.seq == k.c.handoff_seq))
    )
    return [
        (replied - handed).total_seconds() for handed, replied in rows.all() if replied is not None
    ]


async def feedback_counts(session: AsyncSession, scope: Scope) -> dict[str, int]:
    """How many AI answers got each rating ('up', 'down')."""
    k = counted(scope)
    rows = await session.execute(
        select(Message.feedback, func.count())
        .join(k, k.c.id == Message.conversation_id)
        .where(Message.author == "ai", Message.feedback.is_not(None))
        .group_by(Message.feedback)
    )
    return {str(rating): int(n) for rating, n in rows.all()}


async def csat_counts(session: AsyncSession, scope: Scope) -> dict[int, int]:
    """Score (1-5) -> how many counted conversations were rated so."""
    k = counted(scope)
    rows = await session.execute(
        select(k.c.csat_score, func.count())
        .where(k.c.csat_score.is_not(None))
        .group_by(k.c.csat_score)
    )
    return {int(score): int(n) for score, n in rows.all()}


async def created(session: AsyncSession, scope: Scope) -> list[tuple[datetime, bool]]:
    """(created_at, handed off) of each counted conversation, for buckets by local day."""
    k = counted(scope)
    rows = await session.execute(select(k.c.created_at, k.c.handoff_seq.is_not(None)))
    return [(at, bool(handed)) for at, handed in rows.all()]


async def gap_questions(session: AsyncSession, scope: Scope, limit: int) -> list[Asked]:
    """The latest visitor questions answered with a gap (the knowledge had nothing) or
    rated thumbs down: the visitor message just before such an AI message, once each."""
    k = counted(scope)
    ai, asked = aliased(Message), aliased(Message)
    before = (
        select(func.max(Message.seq))
        .where(
            Message.conversation_id == ai.conversation_id,
            Message.author == "visitor",
            Message.seq < ai.seq,
        )
        .scalar_subquery()
    )
    gap = ai.payload[AnswerRecord.key("gap")].as_boolean()
    down = ai.feedback == "down"
    rows = await session.execute(
        select(
            asked.id,
            asked.conversation_id,
            k.c.agent_id,
            asked.text,
            asked.created_at,
            func.max(case((gap, 1), else_=0)),
            func.max(case((down, 1), else_=0)),
        )
        .select_from(ai)
        .join(k, k.c.id == ai.conversation_id)
        .join(asked, and_(asked.conversation_id == ai.conversation_id, asked.seq == before))
        .where(ai.author == "ai", or_(gap, down))
        .group_by(asked.id, k.c.agent_id)
        .order_by(asked.created_at.desc(), asked.id)
        .limit(limit)
    )
    return [
        Asked(mid, cid, agent_id, text, at, bool(unanswered), bool(thumbs_down))
        for mid, cid, agent_id, text, at, unanswered, thumbs_down in rows.all()
    ]


async def agent_names(session: AsyncSession, agent_ids: set[str]) -> dict[str, str]:
    if not agent_ids:
        return {}
    rows = await session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids)))
    return {agent_id: name for agent_id, name in rows.all()}


async def qa_questions(session: AsyncSession, agent_ids: set[str]) -> dict[str, set[str]]:
    """Agent id -> the questions of its hand-written Q&A pairs, as written."""
    if not agent_ids:
        return {}
    rows = await session.execute(
        select(Source.agent_id, Source.options).where(
            Source.agent_id.in_(agent_ids), Source.kind == "qa"
        )
    )
    found: dict[str, set[str]] = {}
    for agent_id, options in rows.all():
        for pair in (options or {}).get("pairs", []):
            if pair:
                found.setdefault(agent_id, set()).add(str(pair[0]))
    return found
