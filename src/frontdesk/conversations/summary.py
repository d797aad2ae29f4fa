"""The handoff summary: what the visitor wants and what the AI already answered.

Extractive: sentences are taken from the thread as written, never made up. The visitor's
questions the AI answered (an AI reply marked ``answered``) are listed with the first
sentence of the answer; the rest is what the visitor still wants.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation, Message
from frontdesk.db.base import utcnow

MAX_WANTS = 3
MAX_ANSWERED = 5
CLIP = 240
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def clip(text: str, limit: int = CLIP) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def first_sentence(text: str) -> str:
    return clip(_SENTENCE.split(" ".join(text.split()), maxsplit=1)[0])


async def summarize(session: AsyncSession, conversation: Conversation) -> dict[str, Any]:
    rows = await session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.author.in_(("visitor", "ai")),
            Message.private.is_(False),
            Message.event.is_(None),
        )
        .order_by(Message.seq)
    )
    answered: list[dict[str, str]] = []
    open_questions: list[str] = []
    question: str | None = None
    for message in rows:
        if message.author == "visitor":
            if question is not None:
                open_questions.append(question)
            question = message.text
            continue
        if question is None:
            continue  # the greeting, or a second AI message in a row
        if (answer := message.answer) is not None and answer.answered:
            answered.append({"question": clip(question), "answer": first_sentence(message.text)})
        else:
            open_questions.append(question)
        question = None
    if question is not None:
        open_questions.append(question)
    if not open_questions and answered:
        # Everything was answered and the visitor still wants a person: about the last one.
        open_questions.append(answered[-1]["question"])
    wants = [clip(q) for q in open_questions[-MAX_WANTS:]]
    answered = answered[-MAX_ANSWERED:]
    return {
        "wants": wants,
        "answered": answered,
        "text": _text(wants, answered, conversation),
        "by": "extractive",
        "at": utcnow().isoformat(),
    }


def _text(wants: list[str], answered: list[dict[str, str]], conversation: Conversation) -> str:
    lines = []
    if wants:
        lines.append("Wants: " + " / ".join(wants))
    else:
        lines.append("Wants: a person (no question asked yet)")
    if answered:
        lines.append("AI answered: " + "; ".join(a["question"] for a in answered))
    lead = conversation.lead or {}
    fields = [f"{f['label']}: {f['value']}" for f in lead.get("fields", []) if f.get("value")]
    if fields:
        lines.append("Details: " + ", ".join(fields))
    return "\n".join(lines)
