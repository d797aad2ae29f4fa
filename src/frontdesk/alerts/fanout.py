"""From events to deliveries: which webhooks want an event, which members get an email."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.accounts.models import Member
from frontdesk.alerts import mail, outbox
from frontdesk.alerts.events import body, may_become_public, public_type
from frontdesk.alerts.models import AlertCursor, AlertPreference, Delivery, Webhook
from frontdesk.conversations.models import Message
from frontdesk.events.store import EventRecord
from frontdesk.events.types import Event
from frontdesk.settings import Settings
from frontdesk.teams.models import TeamMember

CURSOR = "alerts"


async def read_cursor(session: AsyncSession) -> int | None:
    row = await session.get(AlertCursor, CURSOR)
    return row.event_id if row else None


async def ensure_cursor(session: AsyncSession) -> int:
    """The stored cursor; created at the newest event, so history is never replayed."""
    row = await session.get(AlertCursor, CURSOR)
    if row is None:
        newest = await session.scalar(select(func.max(EventRecord.id)))
        row = AlertCursor(name=CURSOR, event_id=int(newest or 0))
        session.add(row)
        await session.flush()
    return row.event_id


async def advance_cursor(session: AsyncSession, event_id: int) -> None:
    row = await session.get(AlertCursor, CURSOR)
    if row is None:
        session.add(AlertCursor(name=CURSOR, event_id=event_id))
    elif row.event_id < event_id:  # never backwards, whoever moved it meanwhile
        row.event_id = event_id
    await session.flush()


@dataclass(frozen=True)
class Batch:
    """Events after the cursor: the last one's id, and those some destination wants."""

    last_id: int
    count: int
    wanted: list[tuple[Event, str]]


async def wanted_after(
    session: AsyncSession, after: int, limit: int, settings: Settings
) -> Batch | None:
    """The next ``limit`` events after ``after`` and which of them a destination wants.

    Read-only, so the common case (nobody listens) costs no write transaction; an event's
    data is read only when a destination may want it (most events concern nobody).
    """
    heads = (
        await session.execute(
            select(EventRecord.id, EventRecord.workspace_id, EventRecord.type)
            .where(EventRecord.id > after)
            .order_by(EventRecord.id)
            .limit(limit)
        )
    ).all()
    if not heads:
        return None
    last = Batch(last_id=heads[-1].id, count=len(heads), wanted=[])
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
        select(EventRecord).where(EventRecord.id.in_(ids)).order_by(EventRecord.id)
    )
    events = [record.event() for record in records]
    wanted = [
        (event, name)
        for event in events
        if (name := public_type(event)) and name in listening.get(event.workspace_id, ())
    ]
    return Batch(last_id=last.last_id, count=last.count, wanted=wanted)


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
