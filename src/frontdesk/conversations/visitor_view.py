"""What a visitor may see of a conversation, defined once for every path that reaches them.

The widget's HTTP history, the answer to a send, and the widget socket's replay and live
frames all go through here. A visitor sees every message but private notes and the system's
notes to the team; of a message's event, only the ones the widget draws (a form offered, a
form answered) with their payload; of a citation, its label and web address. The rest (the
team's evidence: file names, passages, scores, source ids; the AI's answer record) stays
with the team. The shapes are VisitorMessageOut and VisitorCitation in schemas.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

from frontdesk.answering.replies import RULES
from frontdesk.answering.schemas import Citation
from frontdesk.conversations.models import AnswerRecord, Message
from frontdesk.conversations.schemas import MessageOut, VisitorCitation, VisitorMessageOut

# Authors whose messages never reach the visitor: notes on what happened, for the team.
TEAM_ONLY_AUTHORS = ("system",)
# Message events a visitor's widget draws, with their payload.
VISITOR_EVENTS = ("form", "form_submitted")


def is_visible(author: str, private: bool) -> bool:
    return not private and author not in TEAM_ONLY_AUTHORS


def visible_in_sql(message: type[Message] = Message) -> ColumnElement[bool]:
    """is_visible as a query condition."""
    return and_(message.private.is_(False), message.author.not_in(TEAM_ONLY_AUTHORS))


def for_visitor(message: Message | MessageOut) -> VisitorMessageOut | None:
    """What the visitor sees of a stored message or of the team's view of one; None: nothing."""
    if not is_visible(message.author, message.private):
        return None
    drawn = message.event in VISITOR_EVENTS
    return VisitorMessageOut(
        id=message.id,
        seq=message.seq,
        author=message.author,
        author_name=message.author_name,
        text=message.text,
        citations=[visitor_citation(c) for c in message.citations or []],
        confidence=message.confidence,
        client_id=message.client_id,
        event=message.event if drawn else None,
        payload=message.payload if drawn else None,
        feedback=message.feedback,
        rateable=is_rateable(message),
        created_at=message.created_at,
    )


def is_rateable(message: Message | MessageOut) -> bool:
    """An answer the pipeline drew from the agent's knowledge; thumbs on canned texts (the
    handoff message, "could you rephrase", notices while waiting) would rate nothing."""
    if message.author != "ai" or message.private or message.event is not None:
        return False
    if not message.payload:
        return False
    record = AnswerRecord.model_validate(message.payload)
    return record.handoff_trigger is None and record.generator != RULES


def visitor_citation(cited: Citation | dict[str, Any]) -> VisitorCitation:
    """A cited source reduced to what the widget shows: its label, linked when it has a URL."""
    cite = cited if isinstance(cited, Citation) else Citation.model_validate(cited)
    return VisitorCitation(label=cite.label, url=cite.url)
