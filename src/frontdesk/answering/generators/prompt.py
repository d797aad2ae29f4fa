"""What a language model is shown, and how its reply is read back.

The model sees the agent's instructions, the rules, the retrieved passages numbered from 1,
the visible conversation and the question: nothing else, so it cannot quote another
conversation or workspace. Its reply cites passages as ``[1]``; reading it back removes the
markers from the text and keeps the ids that name a passage it was given (0-based), so a
citation is never invented. The same reading works piece by piece (``ReplyReader``) for a
reply that is streamed to a visitor, who never sees a marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from frontdesk.answering.citations import citation_label
from frontdesk.answering.generators.base import GenerationRequest
from frontdesk.knowledge.hits import Hit

# The turns a visitor can see; anything else (a private note, an event) never reaches a model.
ROLES = {"visitor": "user", "ai": "assistant", "member": "assistant"}
RULES = """\
Rules:
- Answer only from the numbered passages below; never add anything they do not say.
- Cite the passage each fact comes from by its number in square brackets, like [1].
- If the passages do not answer the question, say so in one sentence.
- Write plain text in {language}, one to three sentences, with no lists or formatting."""
# "[1]", "[1, 3]", "[1][2]", "[Passage 2]"; the spaces before one go with it ("open [1].").
_MARKER = re.compile(r"\s*\[\s*(?:passages?\s*)?(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]", re.I)
# The end of a reply that may still become a marker once the next piece arrives.
_OPEN_MARKER = re.compile(r"\s*(?:\[[\w\s,]{0,12})?$")

Message = dict[str, str]


def passage_block(number: int, hit: Hit) -> str:
    """ "[2] Rental policy — Payments\\n<text>": the label a visitor would see, then the text."""
    label = citation_label(hit.title, hit.location, hit.text, hit.source)
    return f"[{number}] {label}\n{hit.text.strip()}"


def system_prompt(request: GenerationRequest) -> str:
    parts = [request.instructions.strip()] if request.instructions.strip() else []
    parts.append(RULES.format(language=request.language or "en"))
    passages = "\n\n".join(passage_block(i, hit) for i, hit in enumerate(request.passages, 1))
    parts.append(f"Passages:\n\n{passages}" if passages else "Passages: none.")
    return "\n\n".join(parts)


def messages(request: GenerationRequest) -> list[Message]:
    """Chat messages for the request: system, the visible conversation, the question."""
    chat = [{"role": "system", "content": system_prompt(request)}]
    for author, text in request.history:
        role = ROLES.get(author)
        if role is not None and text.strip():
            chat.append({"role": role, "content": text.strip()})
    chat.append({"role": "user", "content": request.question.strip()})
    return chat


def _cited(raw: str, passages: int) -> list[int]:
    """0-based indexes of the passages the markers name, in order, each once."""
    ids = (int(n) for m in _MARKER.finditer(raw) for n in m[1].split(","))
    return list(dict.fromkeys(i - 1 for i in ids if 1 <= i <= passages))


def parse_reply(raw: str, passages: int) -> tuple[str, list[int]]:
    """The reply without its markers, and the passages it cites that exist (0-based)."""
    return _MARKER.sub("", raw).strip(), _cited(raw, passages)


@dataclass
class ReplyReader:
    """Reads a streamed reply: each piece comes out without markers, as soon as it can."""

    passages: int
    raw: str = ""
    _held: str = ""
    _said: list[str] = field(default_factory=list)

    def feed(self, piece: str) -> str:
        """The text that can be shown now; a possible marker's start is held back."""
        self.raw += piece
        held = _MARKER.sub("", self._held + piece)
        start = _OPEN_MARKER.search(held)
        cut = start.start() if start else len(held)
        out, self._held = held[:cut], held[cut:]
        if not self._said:
            out = out.lstrip()
        if out:
            self._said.append(out)
        return out

    def close(self) -> str:
        """What was held back at the end: an unfinished bracket is text, spaces are dropped."""
        out = _MARKER.sub("", self._held).rstrip()
        self._held = ""
        if not self._said:
            out = out.lstrip()
        if out:
            self._said.append(out)
        return out

    @property
    def text(self) -> str:
        return "".join(self._said)

    @property
    def cited(self) -> list[int]:
        return _cited(self.raw, self.passages)
