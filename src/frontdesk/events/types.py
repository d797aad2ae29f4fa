"""The event every transport delivers; ``id`` and ``seq`` are None for ephemeral ones (typing).

``id`` is the row's own key; ``seq`` numbers the event in its workspace's stream, in commit
order without holes, and is what clients resume from (the frame's ``id``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from frontdesk.db.base import utcnow

EventType = Literal[
    "conversation.created",
    "conversation.updated",
    "message.created",
    "message.updated",
    "action.submitted",
    "member.presence",
    "typing",
    # Ephemeral: a model's reply while it is written (data: author, name, text so far).
    "draft",
    # Ephemeral, never sent to clients: the member's sessions ended (data: member_id, keep).
    "member.signed_out",
]


@dataclass(frozen=True)
class Event:
    type: EventType
    workspace_id: str
    conversation_id: str | None
    data: dict[str, Any]
    id: int | None = None
    seq: int | None = None
    created_at: datetime = field(default_factory=utcnow)

    @cached_property
    def frame_text(self) -> str:
        """The frame as JSON, encoded once however many sockets send it."""
        return json.dumps(self.frame(), separators=(",", ":"))

    def frame(self) -> dict[str, Any]:
        """The JSON object sent to inbox clients; its ``id`` is the point to resume after."""
        return {
            "id": self.seq,
            "type": self.type,
            "conversation_id": self.conversation_id,
            "data": self.data,
            "created_at": self.created_at.isoformat(),
        }
