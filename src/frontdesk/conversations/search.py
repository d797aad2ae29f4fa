"""Searching the workspace's conversations: what the visitor wrote, the team's replies and
notes, and the lead card. Each hit carries the text shown and where the query matched, so
the inbox marks the matches without parsing any markup."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations import search_index
from frontdesk.conversations.models import Conversation
from frontdesk.errors import InvalidInput

MIN_TERM = 3  # SQLite's trigram index cannot look for less
MAX_TERMS = 8
MAX_QUERY = 200
SNIPPET = 160
_PHONE = re.compile(r"^\+?[\d().\-/]+$")
_SEPARATORS = r"[\s().+\-/]*"


@dataclass(frozen=True)
class Term:
    text: str
    digits: str | None  # a phone number's digits, matched whatever the punctuation

    def alternatives(self) -> list[str]:
        return [self.text] if not self.digits else list(dict.fromkeys([self.text, self.digits]))

    def pattern(self) -> str:
        if self.digits:
            return _SEPARATORS.join(re.escape(d) for d in self.digits)
        return re.escape(self.text)


@dataclass
class Hit:
    kind: str  # "message" or "lead"
    text: str
    marks: list[tuple[int, int]]
    seq: int | None = None
    author: str | None = None
    private: bool = False
    label: str | None = None  # the lead field's label


@dataclass
class Found:
    conversation_id: str
    hits: list[Hit] = field(default_factory=list)


def parse(query: str) -> list[Term]:
    """Terms of at least three characters; InvalidInput when none is left."""
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"Search for at most {MAX_QUERY} characters.", field="q")
    terms: dict[str, Term] = {}
    for word in query.split():
        digits = re.sub(r"\D", "", word) if _PHONE.match(word) else ""
        term = Term(word.lower(), digits if len(digits) >= MIN_TERM else None)
        if len(word) >= MIN_TERM or term.digits:
            terms.setdefault(term.text, term)
    if not terms:
        raise InvalidInput(
            f"Type at least {MIN_TERM} characters of a word, a name or a number.", field="q"
        )
    return list(terms.values())[:MAX_TERMS]


def marks(
    text: str, terms: Sequence[Term], found: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int]]:
    """Where any term occurs in ``text`` (and the index's own ``found`` marks: whole words
    on PostgreSQL), as sorted, merged [start, end) ranges."""
    spans = sorted(
        [
            *found,
            *(
                (m.start(), m.end())
                for term in terms
                for m in re.finditer(term.pattern(), text, re.IGNORECASE)
                if m.end() > m.start()
            ),
        ]
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, ranges: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """At most SNIPPET characters around the first match, with the ranges moved along."""
    if len(text) <= SNIPPET:
        return text, ranges
    first = ranges[0][0] if ranges else 0
    start = max(0, min(first - SNIPPET // 3, len(text) - SNIPPET))
    end = start + SNIPPET
    prefix = "…" if start else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    kept = [
        (max(s, start) + shift, min(e, end) + shift) for s, e in ranges if s < end and e > start
    ]
    return prefix + text[start:end] + suffix, kept


def lead_hits(lead: dict[str, Any] | None, terms: Sequence[Term]) -> list[Hit]:
    hits = []
    for item in (lead or {}).get("fields") or []:
        if not isinstance(item, dict):
            continue
        value = str(item.get("value") or "")
        found = marks(value, terms)
        if found:
            label = str(item.get("label") or item.get("name") or "")
            hits.append(Hit("lead", value, found, label=label))
    return hits


async def search(
    session: AsyncSession, workspace_id: str, query: str, limit: int = 50
) -> tuple[list[Found], dict[str, Conversation]]:
    """Conversations with a message or lead card containing every term, latest hit first."""
    terms = parse(query)
    matches = await search_index.match(
        session, workspace_id, [t.alternatives() for t in terms], limit * 5
    )
    found: dict[str, Found] = {}
    for m in matches.messages:
        entry = found.setdefault(m.conversation_id, Found(m.conversation_id))
        if len(entry.hits) < 3:
            text, ranges = snippet(m.text, marks(m.text, terms, m.marks))
            entry.hits.append(Hit("message", text, ranges, m.seq, m.author, m.private))
    for cid in matches.leads:
        found.setdefault(cid, Found(cid))
    chosen = list(found.values())[:limit]
    ids = [f.conversation_id for f in chosen]
    rows = await session.scalars(
        select(Conversation).where(
            Conversation.workspace_id == workspace_id, Conversation.id.in_(ids)
        )
    )
    conversations = {c.id: c for c in rows}
    lead_matched = set(matches.leads)
    for entry in chosen:
        conversation = conversations.get(entry.conversation_id)
        if conversation is not None and entry.conversation_id in lead_matched:
            entry.hits[:0] = lead_hits(conversation.lead, terms)
    kept = [f for f in chosen if f.conversation_id in conversations]
    kept.sort(key=lambda f: _activity(conversations[f.conversation_id]), reverse=True)
    return kept, conversations


def _activity(conversation: Conversation) -> float:
    at = conversation.last_message_at or conversation.created_at
    return at.timestamp() if at else 0.0


def _contact_keys(lead: dict[str, Any] | None) -> tuple[set[str], set[str]]:
    """The emails (lower-cased) and phone numbers (digits, 7 or more) of a lead card."""
    emails, phones = set(), set()
    for item in (lead or {}).get("fields") or []:
        if not isinstance(item, dict) or not item.get("value"):
            continue
        value = str(item["value"]).strip()
        if item.get("type") == "email":
            emails.add(value.lower())
        elif item.get("type") == "phone" and len(digits := re.sub(r"\D", "", value)) >= 7:
            phones.add(digits)
    return emails, phones


async def same_visitor(
    session: AsyncSession, conversation: Conversation, limit: int = 20
) -> list[Conversation]:
    """Other conversations whose lead card gave the same email or phone number, newest first.

    Visitor tokens are one per conversation, so the contact details the visitor entered are
    what ties their conversations together."""
    emails, phones = _contact_keys(conversation.lead)
    candidates: set[str] = set()
    for key in sorted(emails | phones):
        matches = await search_index.match(session, conversation.workspace_id, [[key]], 200)
        candidates.update(matches.leads)
    candidates.discard(conversation.id)
    if not candidates:
        return []
    rows = await session.scalars(
        select(Conversation).where(
            Conversation.workspace_id == conversation.workspace_id,
            Conversation.id.in_(candidates),
        )
    )
    related = []
    for other in rows:
        other_emails, other_phones = _contact_keys(other.lead)
        if emails & other_emails or phones & other_phones:
            related.append(other)
    related.sort(key=lambda c: c.created_at, reverse=True)
    return related[:limit]
