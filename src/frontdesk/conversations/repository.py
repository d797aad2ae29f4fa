"""Queries over conversations and messages, always inside one workspace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import and_, bindparam, case, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from frontdesk.accounts.models import Member
from frontdesk.actions.models import ActionRun
from frontdesk.agents.models import Agent
from frontdesk.answering.pipeline import Thread
from frontdesk.conversations import browser, naming
from frontdesk.conversations.models import OPEN_STATUSES, Conversation, Message, ReadMark
from frontdesk.conversations.schemas import (
    ConversationOut,
    CsatOut,
    HandoffOut,
    LastMessage,
    LeadOut,
    MessageOut,
    PendingForm,
    SummaryOut,
    TeamRef,
    VisitorInfo,
)
from frontdesk.conversations.visitor_view import visible_in_sql
from frontdesk.db.base import insert_for, table, utcnow
from frontdesk.db.tenancy import get_in_workspace
from frontdesk.tags.queries import tagged, tags_of
from frontdesk.teams.models import Team

T = TypeVar("T")

# The latest messages the AI reads when answering in a conversation.
THREAD_LIMIT = 50

_PRIORITY_RANK = case(
    {"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Conversation.priority, else_=2
)


@dataclass(frozen=True)
class Filters:
    statuses: Sequence[str] = OPEN_STATUSES
    agent_id: str | None = None
    assignee: str | None = None  # a member id, or "none"
    priority: str | None = None
    tags: Sequence[str] = ()  # all of them
    limit: int = 100
    teams: Sequence[str] | None = None  # any of these team ids


async def get_conversation(
    session: AsyncSession, workspace_id: str, conversation_id: str
) -> Conversation:
    return await get_in_workspace(
        session, Conversation, workspace_id, conversation_id, "conversation"
    )


async def list_conversations(
    session: AsyncSession, workspace_id: str, filters: Filters
) -> list[Conversation]:
    query = select(Conversation).where(
        Conversation.workspace_id == workspace_id, Conversation.status.in_(filters.statuses)
    )
    if filters.agent_id:
        query = query.where(Conversation.agent_id == filters.agent_id)
    if filters.assignee == "none":
        query = query.where(Conversation.assignee_id.is_(None))
    elif filters.assignee:
        query = query.where(Conversation.assignee_id == filters.assignee)
    if filters.priority:
        query = query.where(Conversation.priority == filters.priority)
    if filters.teams is not None:
        query = query.where(Conversation.team_id.in_(filters.teams))
    for name in filters.tags:
        query = query.where(Conversation.id.in_(tagged(workspace_id, name)))
    query = query.order_by(
        _PRIORITY_RANK,
        Conversation.waiting_since.is_(None),
        Conversation.waiting_since,
        Conversation.last_message_at.desc(),
        Conversation.id.desc(),
    ).limit(filters.limit)
    return list(await session.scalars(query))


# Statements every visitor message runs, built once with their values bound per call; over
# the tables where no entity is wanted (see db.base.table).
_CONVERSATIONS = table(Conversation)
_NEXT_SEQ = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values(last_seq=_CONVERSATIONS.c.last_seq + 1, last_message_at=bindparam("now"))
    .returning(_CONVERSATIONS.c.last_seq)
)
_MEMBERS = table(Member)
_MEMBER_NAMES = select(_MEMBERS.c.id, _MEMBERS.c.name).where(
    _MEMBERS.c.id.in_(bindparam("ids", expanding=True))
)
_BY_CLIENT_ID = select(Message).where(
    Message.conversation_id == bindparam("conversation_id"),
    Message.client_id == bindparam("client_id"),
)


async def next_seq(session: AsyncSession, conversation: Conversation) -> int:
    """Allocate the conversation's next message number inside the current transaction."""
    now = utcnow()
    seq = await session.scalar(_NEXT_SEQ, {"conversation_id": conversation.id, "now": now})
    assert seq is not None
    set_committed_value(conversation, "last_seq", int(seq))
    set_committed_value(conversation, "last_message_at", now)
    return int(seq)


async def message_by_client_id(
    session: AsyncSession, conversation_id: str, client_id: str
) -> Message | None:
    found: Message | None = await session.scalar(
        _BY_CLIENT_ID, {"conversation_id": conversation_id, "client_id": client_id}
    )
    return found


async def message_by_seq(session: AsyncSession, conversation_id: str, seq: int) -> Message | None:
    found: Message | None = await session.scalar(
        select(Message).where(Message.conversation_id == conversation_id, Message.seq == seq)
    )
    return found


async def messages_after(
    session: AsyncSession,
    conversation_id: str,
    after: int = 0,
    *,
    visitor_view: bool = False,
    limit: int = 1000,
) -> list[Message]:
    query = select(Message).where(Message.conversation_id == conversation_id, Message.seq > after)
    if visitor_view:
        query = query.where(visible_in_sql())
    return list(await session.scalars(query.order_by(Message.seq).limit(limit)))


async def count_visitor_messages(session: AsyncSession, conversation_id: str, upto: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.author == "visitor",
            Message.seq <= upto,
        )
    )
    return int(count or 0)


async def mark_read(
    session: AsyncSession, member_id: str, conversation: Conversation, seq: int
) -> None:
    """Move the member's read mark forward to ``seq`` (never back). Two tabs marking the
    same conversation read at once both land: the second waits for the first and keeps the
    further of the two marks."""
    seq = min(seq, conversation.last_seq)
    stmt = insert_for(session, ReadMark).values(
        member_id=member_id, conversation_id=conversation.id, seq=seq
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ReadMark.member_id, ReadMark.conversation_id],
            set_={"seq": stmt.excluded.seq},
            where=ReadMark.seq < stmt.excluded.seq,
        )
    )


async def describe(
    session: AsyncSession, conversations: Sequence[Conversation], member_id: str | None = None
) -> list[ConversationOut]:
    """API views of conversations with names, last message and the member's unread count."""
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    # What this transaction already holds is not asked again: the agent a visitor request
    # loaded, the message it just added (describing right after a send is the common case).
    agent_names = {a.id: a.name for a in _in_session(session, Agent, ("id", "name"))}
    wanted_agents = {c.agent_id for c in conversations} - agent_names.keys()
    if wanted_agents:
        named = await session.execute(
            select(Agent.id, Agent.name).where(Agent.id.in_(wanted_agents))
        )
        agent_names.update((agent_id, name) for agent_id, name in named)
    assignees = {c.assignee_id for c in conversations if c.assignee_id}
    member_names = (
        dict((await session.execute(_MEMBER_NAMES, {"ids": sorted(assignees)})).all())
        if assignees
        else {}
    )
    last = await _previews(session, conversations)
    unread: dict[str, int] = {}
    if member_id:
        rows = await session.execute(
            select(Message.conversation_id, func.count())
            .select_from(Message)
            .outerjoin(
                ReadMark,
                and_(
                    ReadMark.conversation_id == Message.conversation_id,
                    ReadMark.member_id == member_id,
                ),
            )
            .where(
                Message.conversation_id.in_(ids),
                Message.author == "visitor",
                Message.seq > func.coalesce(ReadMark.seq, 0),
            )
            .group_by(Message.conversation_id)
        )
        unread = dict(rows.all())
    tags = await tags_of(session, ids)
    team_ids = {c.team_id for c in conversations if c.team_id}
    team_names: dict[str, str] = (
        dict((await session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids)))).all())
        if team_ids
        else {}
    )
    return [
        _conversation_out(
            c,
            agent_names.get(c.agent_id, ""),
            member_names,
            last.get(c.id),
            unread,
            tags.get(c.id, []),
            team_names,
        )
        for c in conversations
    ]


_LAST_MESSAGE = ("conversation_id", "seq", "author", "text", "private")


async def _previews(
    session: AsyncSession, conversations: Sequence[Conversation]
) -> dict[str, Message]:
    """Each conversation's latest message that is not a system note (its list preview)."""
    latest = {(c.id, c.last_seq) for c in conversations if c.last_seq}
    # The message a send just added is usually the latest and already in the session.
    last = {
        m.conversation_id: m
        for m in _in_session(session, Message, _LAST_MESSAGE)
        if (m.conversation_id, m.seq) in latest and m.author != "system"
    }
    wanted = [c.id for c in conversations if c.last_seq and c.id not in last]
    if wanted:
        newest = (
            select(Message.conversation_id, func.max(Message.seq).label("seq"))
            .where(Message.conversation_id.in_(wanted), Message.author != "system")
            .group_by(Message.conversation_id)
            .subquery()
        )
        rows = await session.scalars(
            select(Message).join(
                newest,
                and_(
                    Message.conversation_id == newest.c.conversation_id,
                    Message.seq == newest.c.seq,
                ),
            )
        )
        last.update((m.conversation_id, m) for m in rows)
    return last


def _in_session(session: AsyncSession, cls: type[T], loaded: Sequence[str]) -> list[T]:
    """Rows of ``cls`` this session holds with ``loaded`` attributes current (none expired)."""
    found: list[T] = []
    for obj in session.identity_map.values():
        if isinstance(obj, cls):
            state = inspect(obj)
            if not state.unloaded.intersection(loaded) and obj not in session.deleted:
                found.append(obj)
    return found


def _conversation_out(
    c: Conversation,
    agent_name: str,
    member_names: dict[str, str],
    last: Message | None,
    unread: dict[str, int],
    tags: list[tuple[str, str]],
    team_names: dict[str, str],
) -> ConversationOut:
    team_name = team_names.get(c.team_id) if c.team_id else None
    return ConversationOut(
        id=c.id,
        agent_id=c.agent_id,
        agent_name=agent_name,
        status=c.status,
        assignee_id=c.assignee_id,
        assignee_name=member_names.get(c.assignee_id) if c.assignee_id else None,
        priority=c.priority,
        handoff=HandoffOut(trigger=c.handoff_trigger, reason=c.handoff_reason)
        if c.handoff_trigger
        else None,
        waiting_since=c.waiting_since,
        last_message_at=c.last_message_at,
        last_message=LastMessage(
            seq=last.seq,
            author=last.author,
            text=last.text[:280],
            private=last.private,
        )
        if last
        else None,
        last_seq=c.last_seq,
        unread=unread.get(c.id, 0),
        visitor=VisitorInfo(
            page_url=c.page_url,
            referrer=c.referrer,
            browser=browser.describe(c.user_agent),
            timezone=c.timezone,
            name=naming.display_name(c.id, c.lead),
            label=naming.visitor_label(c.id),
            email=naming.lead_email(c.lead),
        ),
        tags=[name for name, _ in tags],
        tag_colors=dict(tags),
        lead=LeadOut.model_validate(c.lead) if c.lead else None,
        pending_form=PendingForm(
            action=c.pending_form["action"],
            seq=c.pending_form["seq"],
            holds_handoff=bool(c.pending_form.get("handoff")),
        )
        if c.pending_form
        else None,
        csat=CsatOut(score=c.csat_score, comment=c.csat_comment, submitted_at=c.csat_at)
        if c.csat_score is not None and c.csat_at is not None
        else None,
        team=TeamRef(id=c.team_id, name=team_name) if c.team_id and team_name else None,
        summary=SummaryOut.model_validate(c.summary) if c.summary else None,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.id,
        conversation_id=m.conversation_id,
        seq=m.seq,
        author=m.author,
        author_id=m.author_id,
        author_name=m.author_name,
        text=m.text,
        private=m.private,
        citations=m.citations,
        confidence=m.confidence,
        client_id=m.client_id,
        event=m.event,
        payload=m.payload,
        feedback=m.feedback,
        created_at=m.created_at,
    )


async def action_runs(session: AsyncSession, conversation_id: str) -> Sequence[ActionRun]:
    rows = await session.scalars(
        select(ActionRun)
        .where(ActionRun.conversation_id == conversation_id)
        .order_by(ActionRun.created_at, ActionRun.id)
    )
    return rows.all()


async def thread_before(session: AsyncSession, conversation_id: str, seq: int) -> Thread:
    """What the visitor and the AI can both see before message ``seq``: no notes or events."""
    rows = await session.execute(
        select(Message.author, Message.author_name, Message.text)
        .where(Message.conversation_id == conversation_id, Message.seq < seq, visible_in_sql())
        .order_by(Message.seq.desc())
        .limit(THREAD_LIMIT)
    )
    turns = list(reversed(rows.all()))
    return Thread(
        history=tuple((author, text) for author, _, text in turns),
        replies=tuple((name or "Team", text) for author, name, text in turns if author == "member"),
    )
