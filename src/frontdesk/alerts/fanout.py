"""From events to deliveries: which webhooks want an event, which members get an email."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Member
from frontdesk.alerts import mail, outbox
from frontdesk.alerts.events import body, may_become_public, public_type
from frontdesk.alerts.models import AlertPosition, AlertPreference, Delivery, Webhook
from frontdesk.conversations.models import Message
from frontdesk.db.base import dialect_insert
from frontdesk.events.store import EventCounter, EventRecord
from frontdesk.events.types import Event
from frontdesk.settings import Settings
from frontdesk.teams.models import TeamMember

# Workspaces read in one batch; more wait for the next one.
WORKSPACES_PER_BATCH = 100


@dataclass(frozen=True)
class Lag:
    """A workspace with events after its stored position."""

    workspace_id: str
    stored: int  # the position as stored
    last_seq: int  # the last event committed in its stream


async def lagging(session: AsyncSession) -> list[Lag]:
    """Workspaces whose stored position is behind their stream, by workspace id."""
    stored = func.coalesce(AlertPosition.seq, 0)
    rows = await session.execute(
        select(EventCounter.workspace_id, stored, EventCounter.last_seq)
        .outerjoin(AlertPosition, AlertPosition.workspace_id == EventCounter.workspace_id)
        .where(EventCounter.last_seq > stored)
        .order_by(EventCounter.workspace_id)
    )
    return [Lag(workspace_id, int(seq), int(last)) for workspace_id, seq, last in rows.all()]


async def store_positions(session: AsyncSession, positions: Mapping[str, int]) -> dict[str, int]:
    """Move the stored positions forward to ``positions`` (never back); returns them as they
    were. Their rows stay locked until commit, so two dispatchers never queue the same event:
    the second one waits, then finds the first one's positions."""
    ids = sorted(positions)
    if not ids:
        return {}
    dialect = session.get_bind().dialect.name
    insert = dialect_insert(dialect)
    await session.execute(
        insert(AlertPosition)
        .values([{"workspace_id": workspace_id, "seq": 0} for workspace_id in ids])
        .on_conflict_do_nothing()
    )
    rows = await session.scalars(
        select(AlertPosition)
        .where(AlertPosition.workspace_id.in_(ids))
        .order_by(AlertPosition.workspace_id)
        .with_for_update()
    )
    before = {}
    for row in rows:
        before[row.workspace_id] = row.seq
        row.seq = max(row.seq, positions[row.workspace_id])
    await session.flush()
    return before


@dataclass(frozen=True)
class Batch:
    """Events read after some positions: where each workspace got to, and those some
    destination wants."""

    positions: dict[str, int]
    count: int
    wanted: list[tuple[Event, str]]


async def wanted_after(
    session: AsyncSession, after: Mapping[str, int], limit: int, settings: Settings
) -> Batch:
    """The next ``limit`` events after each workspace's ``seq`` in ``after``, and which of them
    a destination wants.

    Read-only, so the common case (nobody listens) costs no write transaction; an event's
    data is read only when a destination may want it (most events concern nobody). Each
    workspace's events are read in stream order from its position on: they are committed
    without holes, so none can turn up later behind what was read.
    """
    if not after:
        return Batch(positions={}, count=0, wanted=[])
    heads = (
        await session.execute(
            select(EventRecord.id, EventRecord.workspace_id, EventRecord.seq, EventRecord.type)
            .where(
                or_(
                    *(
                        and_(EventRecord.workspace_id == workspace_id, EventRecord.seq > seq)
                        for workspace_id, seq in after.items()
                    )
                )
            )
            .order_by(EventRecord.workspace_id, EventRecord.seq)
            .limit(limit)
        )
    ).all()
    positions = {h.workspace_id: h.seq for h in heads}  # the last one read of each
    last = Batch(positions=positions, count=len(heads), wanted=[])
    maybe = [h for h in heads if may_become_public(h.type)]
    if not maybe:
        return last
    rows = await session.execute(
        select(Webhook.workspace_id, Webhook.events).where(
            Webhook.active, Webhook.workspace_id.in_({h.workspace_id for h in maybe})
        )
    )
    listening: dict[str, set[str]] = {}
    for workspace_id, types in rows.all():
        listening.setdefault(workspace_id, set()).update(types)
    if settings.smtp_host:
        for h in maybe:
            listening.setdefault(h.workspace_id, set()).add("conversation.waiting")
    ids = [h.id for h in maybe if may_become_public(h.type) & listening.get(h.workspace_id, set())]
    if not ids:
        return last
    records = await session.scalars(
        select(EventRecord)
        .where(EventRecord.id.in_(ids))
        .order_by(EventRecord.workspace_id, EventRecord.seq)
    )
    events = [record.event() for record in records]
    wanted = [
        (event, name)
        for event in events
        if (name := public_type(event)) and name in listening.get(event.workspace_id, ())
    ]
    return Batch(positions=positions, count=last.count, wanted=wanted)


async def queue_batch(session: AsyncSession, batch: Batch, settings: Settings) -> int:
    """Queue what ``batch`` wants and store the positions it reached; returns how many.

    Events at or before a workspace's stored position were queued by another dispatcher
    (or another round) already and are skipped.
    """
    before = await store_positions(session, batch.positions)
    count = 0
    for event, name in batch.wanted:
        if (event.seq or 0) > before.get(event.workspace_id, 0):
            count += await queue_for(session, event, name, settings)
    return count


async def queue_for(session: AsyncSession, event: Event, name: str, settings: Settings) -> int:
    """Queue the deliveries one event calls for; returns how many."""
    count = 0
    hooks = await session.scalars(
        select(Webhook).where(Webhook.workspace_id == event.workspace_id, Webhook.active)
    )
    for hook in hooks:
        # A webhook created after the event does not get it (nor a backlog on creation).
        if name in hook.events and hook.created_at <= event.created_at:
            outbox.queue(
                session,
                workspace_id=event.workspace_id,
                channel="webhook",
                event_type=name,
                body=body(name, event.created_at, event.data),
                event_id=event.id,
                webhook_id=hook.id,
            )
            count += 1
    if name == "conversation.waiting" and settings.smtp_host:
        count += await _queue_emails(session, event, settings)
    return count


async def _queue_emails(session: AsyncSession, event: Event, settings: Settings) -> int:
    conversation = event.data.get("conversation") or {}
    query = (
        select(Member)
        .outerjoin(AlertPreference, AlertPreference.member_id == Member.id)
        .where(
            Member.workspace_id == event.workspace_id,
            func.coalesce(AlertPreference.email_alerts, True),
        )
        .order_by(Member.created_at)
    )
    team = conversation.get("team")
    if team:
        # Routed to a team: its members hear of it, not the whole workspace.
        query = query.where(
            Member.id.in_(select(TeamMember.member_id).where(TeamMember.team_id == team["id"]))
        )
    members = await session.scalars(query)
    recipients = list(members)
    if not recipients:
        return 0
    last_text = await session.scalar(
        select(Message.text)
        .where(
            Message.conversation_id == event.conversation_id,
            Message.author == "visitor",
            Message.seq <= int(conversation.get("last_seq") or 0),
        )
        .order_by(Message.seq.desc())
        .limit(1)
    )
    link = settings.inbox_link(str(event.conversation_id))
    for member in recipients:
        email = mail.waiting_email(member.email, conversation, last_text, link)
        outbox.queue(
            session,
            workspace_id=event.workspace_id,
            channel="email",
            event_type="conversation.waiting",
            body=json.dumps(asdict(email)),
            event_id=event.id,
            member_id=member.id,
            recipient=member.email,
        )
    return len(recipients)


def email_of(delivery: Delivery) -> mail.Email:
    return mail.Email(**json.loads(delivery.body))
