"""Conversations changed in a transaction, described once when it commits.

A change to a conversation — its status, a message, a tag renamed in the catalog — marks the
conversation here instead of describing it on the spot. Just before the transaction commits,
the describer the runtime wired (:func:`frontdesk.conversations.thread.record_touched`)
describes every marked conversation once and records its events: the messages' own events and
at most one ``conversation.created`` or ``conversation.updated`` carrying the union of the
changes (placed where the first change happened), all with that one snapshot.

Marks hold ids only, so any package may mark a conversation without importing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.events.types import EventType

_KEY = "frontdesk.touched_conversations"


@dataclass
class Touched:
    workspace_id: str
    conversation_id: str
    created: bool = False
    changes: list[str] = field(default_factory=list)
    # Events about the conversation's messages and actions, in the order they happened;
    # each gets the conversation's snapshot added when the transaction is described.
    events: list[tuple[EventType, dict[str, Any]]] = field(default_factory=list)
    # Where among ``events`` the first change happened: the one update is announced there.
    changed_after: int | None = None


def touch(
    session: AsyncSession,
    workspace_id: str,
    conversation_id: str,
    changes: Iterable[str] = (),
    *,
    created: bool = False,
    event: tuple[EventType, dict[str, Any]] | None = None,
) -> None:
    """Mark a conversation changed in this transaction (``changes`` names what changed)."""
    pending: dict[str, Touched] = session.info.setdefault(_KEY, {})
    entry = pending.get(conversation_id)
    if entry is None:
        entry = pending[conversation_id] = Touched(workspace_id, conversation_id)
    entry.created = entry.created or created
    new = [name for name in changes if name not in entry.changes]
    if new and entry.changed_after is None:
        entry.changed_after = len(entry.events)
    entry.changes.extend(new)
    if event is not None:
        entry.events.append(event)


def take(session: AsyncSession) -> list[Touched]:
    """The conversations marked so far, in the order they were first marked; clears them."""
    pending: dict[str, Touched] = session.info.pop(_KEY, {})
    return list(pending.values())
