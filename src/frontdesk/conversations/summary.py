"""The handoff summary: what the visitor wants and what the AI already answered.

Extractive: sentences are taken from the thread as written, never made up. The visitor's
questions the AI answered (an AI reply marked ``answered``) are listed with the first
sentence of the answer; the rest is what the visitor still wants. Text too long is clipped
at the end of a sentence or a word, never inside one, and says so with an ellipsis. When the
agent has a model, the Summarizer adds the model's own few sentences later (summarizer.py).
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
ELLIPSIS = "…"
# A sentence ends with . ! or ? (and any closing quote or bracket) before a space.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)")
# Words a full stop follows inside a sentence: "Mr. Lee", "approx. 5 km", "No. 7".
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "no", "nr", "vs", "approx", "ca", "etc", "inc"}
ABBREVIATIONS |= {"ltd", "co", "jr", "sr", "min", "max", "e.g", "i.e", "cf", "fig", "ft", "lb"}


def sentence_ends(text: str) -> list[int]:
    """Where the sentences of ``text`` end (the index just after their punctuation)."""
    ends = []
    for match in _END.finditer(text):
        after = text[match.end() :].lstrip()
        if after[:1].islower():
            continue  # "e.g. trailers", "8 a.m. on"
        word = text[: match.start()].rsplit(maxsplit=1)[-1:] or [""]
        stem = word[0].lstrip("(\"'“‘").casefold()
        if match.group().startswith(".") and (stem in ABBREVIATIONS or len(stem) == 1):
            continue  # "Mr. Lee", initials
        ends.append(match.end())
    return ends


def clip(text: str, limit: int = CLIP) -> str:
    """The text on one line, at most ``limit`` characters: cut after the last sentence
    that fits (or the last word), with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = text[: limit - 2]  # for " …" after a sentence, "…" after a word
    # Whole sentences when they fill half the room, else whole words.
    fits = [end for end in sentence_ends(text) if limit // 2 <= end <= len(room)]
    if fits:
        return f"{room[: fits[-1]]} {ELLIPSIS}"
    if text[len(room)] != " " and " " in room:
        room = room.rsplit(" ", 1)[0]
    return room.rstrip(" ,;:-–—") + ELLIPSIS


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    ends = sentence_ends(text)
    return clip(text[: ends[0]] if ends else text)


def first_sentences(text: str, count: int, limit: int) -> str:
    """Up to ``count`` sentences of ``text``, clipped to ``limit`` characters."""
    text = " ".join(text.split())
    ends = sentence_ends(text)
    return clip(text[: ends[count - 1]] if len(ends) >= count else text, limit)


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
