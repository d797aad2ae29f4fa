"""The public event types webhooks subscribe to, and the payload each one carries."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal, get_args

from frontdesk.events.types import Event

PublicEvent = Literal[
    "conversation.waiting",
    "conversation.closed",
    "message.created",
    "action.submitted",
]
PUBLIC_EVENTS: tuple[str, ...] = get_args(PublicEvent)
TEST_EVENT = "webhook.test"

# Internal status changes that are worth telling the outside world about.
_STATUS_EVENTS = {"waiting": "conversation.waiting", "closed": "conversation.closed"}


def public_type(event: Event) -> str | None:
    """The public name of an internal event, or None when webhooks do not carry it."""
    if event.type in ("conversation.created", "conversation.updated"):
        # A conversation created already waiting (or closed) in one transaction is news too.
        if event.type == "conversation.updated" and "status" not in event.data.get("changes", ()):
            return None
        status = (event.data.get("conversation") or {}).get("status")
        return _STATUS_EVENTS.get(str(status))
    if event.type in ("message.created", "action.submitted"):
        return event.type
    return None


def may_become_public(internal_type: str) -> set[str]:
    """The public names an internal event of this type can carry (what public_type may say)."""
    if internal_type in ("conversation.created", "conversation.updated"):
        return set(_STATUS_EVENTS.values())
    if internal_type in ("message.created", "action.submitted"):
        return {internal_type}
    return set()


def body(type_: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The JSON body, encoded once: the same bytes are signed and sent on every attempt."""
    payload = {"type": type_, "timestamp": timestamp.isoformat(), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
