"""What the inbox calls a conversation's visitor: the name or email they gave in a form,
else a friendly label derived from the conversation id, so it never changes."""

from __future__ import annotations

import hashlib
from typing import Any

_NAME_FIELDS = ("name", "full_name", "fullname", "your_name", "customer_name", "contact_name")


def visitor_label(conversation_id: str) -> str:
    """'Visitor 4821': four digits from a hash of the id (stable across restarts)."""
    digest = hashlib.sha256(conversation_id.encode()).digest()
    return f"Visitor {1000 + int.from_bytes(digest[:4], 'big') % 9000}"


def lead_name(lead: dict[str, Any] | None) -> str | None:
    """The visitor's name from the lead card: a name field, or first and last name fields."""
    fields = _fields(lead)
    for field in fields:
        if str(field.get("name", "")).lower() in _NAME_FIELDS and _value(field):
            return _value(field)
    parts = [
        _value(f)
        for wanted in ("first_name", "last_name")
        for f in fields
        if str(f.get("name", "")).lower() == wanted and _value(f)
    ]
    return " ".join(parts) or None


def lead_email(lead: dict[str, Any] | None) -> str | None:
    for field in _fields(lead):
        if field.get("type") == "email" and _value(field):
            return _value(field)
    return None


def display_name(conversation_id: str, lead: dict[str, Any] | None) -> str:
    return lead_name(lead) or lead_email(lead) or visitor_label(conversation_id)


def _fields(lead: dict[str, Any] | None) -> list[dict[str, Any]]:
    fields = (lead or {}).get("fields")
    return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []


def _value(field: dict[str, Any]) -> str:
    return str(field.get("value") or "").strip()[:200]
