"""The grounding guard: what a language model wrote may be sent only if the passages say it.

Cheap checks that catch the usual inventions, run on every answer a model writes (the
extractive generator only copies passages): the answer must cite at least one passage it was
given, and every number and every name-like word in it (a capitalised word inside a
sentence, a model code such as RP-2231) must appear in the cited passages, the question or
the agent's own words (its name and instructions).

A reply shown while it is written passes the same checks as it grows (``GuardedDraft``):
the visitor watches it only as long as every number and name so far is in the passages the
model was given; the decided reply replaces the draft in any case.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable

from frontdesk.knowledge.hits import Hit

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CODE = re.compile(r"\b(?=[A-Za-z-]*\d)(?=[\d-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SPACE = re.compile(r"\s")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*)([A-Za-z][A-Za-z'’-]*)")


def _numbers(text: str) -> set[str]:
    """Numbers as written without thousands separators: 12,999 and 12999 are the same."""
    found = set()
    for raw in _NUMBER.findall(text):
        plain = raw.replace(",", "")
        found.add(plain[:-2] if plain.endswith(".00") else plain)
    return found


def _names(text: str) -> set[str]:
    """Capitalised words that do not start a sentence, and model codes."""
    starts = {m.start(1) for m in _SENTENCE_START.finditer(text)}
    names = {
        m.group(0).lower()
        for m in _WORD.finditer(text)
        if m.group(0)[0].isupper() and m.start() not in starts and m.group(0) != "I"
    }
    return names | {code.lower() for code in _CODE.findall(text)}


def ungrounded(answer: str, cited: list[Hit], known: Iterable[str] = ()) -> str | None:
    """Why ``answer`` may not be sent, or None when the cited passages back it."""
    if not cited:
        return "the answer cites none of the passages it was given"
    return unsupported(answer, cited, known)


def unsupported(answer: str, passages: list[Hit], known: Iterable[str] = ()) -> str | None:
    """The first number or name in ``answer`` that none of ``passages`` (nor ``known``) says."""
    source = " ".join([*(f"{hit.title} {hit.text}" for hit in passages), *known])
    missing_numbers = sorted(_numbers(answer) - _numbers(source))
    if missing_numbers:
        return f"the answer says {missing_numbers[0]}, which no cited passage says"
    words = {w.lower() for w in _WORD.findall(source)}
    codes = {code.lower() for code in _CODE.findall(source)}
    missing_names = sorted(name for name in _names(answer) if name not in words | codes)
    if missing_names:
        return f"the answer names {missing_names[0]!r}, which no cited passage mentions"
    return None


class GuardedDraft:
    """Passes a model's reply on, word by word, while the passages it was given back it.

    Only whole words go out (a number is judged once it is complete: "18" may become "189").
    At the first number or name that no passage says, the draft stops where it was: the
    visitor never watches an invented price being written. ``finish`` sends the last word."""

    def __init__(
        self,
        listener: Callable[[str], Awaitable[None]],
        passages: list[Hit],
        known: Iterable[str] = (),
        more: list[Hit] | None = None,
    ):
        """``more``: a list that grows while the reply is written (what tools returned)."""
        self.listener = listener
        self.passages = passages
        self.more = more if more is not None else []
        self.known = tuple(known)
        self.text = ""
        self.sent = 0
        self.stopped = False

    async def __call__(self, piece: str) -> None:
        self.text += piece
        await self._send(max(self.text.rfind(" "), self.text.rfind("\n")))

    async def finish(self) -> None:
        await self._send(len(self.text))

    async def _send(self, upto: int) -> None:
        if self.stopped or upto <= self.sent:
            return
        backed = self.sent
        # Word by word (a piece may hold several): up to the last word before an unbacked one.
        ends = [m.start() for m in _SPACE.finditer(self.text, self.sent + 1, upto)] + [upto]
        for end in ends:
            if unsupported(self.text[:end], self.passages + self.more, self.known) is not None:
                self.stopped = True
                break
            backed = end
        if backed > self.sent:
            await self.listener(self.text[self.sent : backed])
            self.sent = backed
