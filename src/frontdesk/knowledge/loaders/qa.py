"""Question-and-answer pairs: typed in by the owner or uploaded as JSON."""

from __future__ import annotations

import json
import re

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.documents import Document, Section
from frontdesk.knowledge.loaders._text import decode_text, tidy

# A pair's section as stored: its question, then its answer (``qa_documents``).
_PAIR = re.compile(r"^Q:\s*(?P<q>.+?)\s*\nA:\s*(?P<a>.+)$", re.S)
_SHAPE = 'The JSON file must be a list of {"question": "…", "answer": "…"} objects.'


def qa_documents(pairs: list[tuple[str, str]], title: str) -> list[Document]:
    """One atomic section per pair, so an answer is never cut off from its question.

    Errors name the pair by its 1-based number, and set ``field`` to ``pairs[index]``.
    """
    if not pairs:
        raise SourceFailed("Add at least one question and answer.", field="pairs")
    sections = []
    for index, (question, answer) in enumerate(pairs):
        question, answer = tidy(question or ""), tidy(answer or "")
        for value, name in ((question, "question"), (answer, "answer")):
            if not value:
                raise SourceFailed(
                    f"Q&A pair {index + 1} has an empty {name}.", field=f"pairs[{index}]"
                )
        sections.append(
            Section(text=f"Q: {question}\nA: {answer}", location=f"Q&A {index + 1}", atomic=True)
        )
    return [Document(title=title, sections=sections)]


def split_pair(text: str) -> tuple[str, str] | None:
    """A pair's question and answer from its section's text; None for any other text."""
    match = _PAIR.match(text)
    return (match["q"].strip(), match["a"].strip()) if match else None


def load_qa_json(data: bytes, title: str) -> list[Document]:
    """Read a JSON list of {"question", "answer"} objects."""
    try:
        items = json.loads(decode_text(data))
    except json.JSONDecodeError as exc:
        raise SourceFailed(
            f"This is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}."
        ) from exc
    if not isinstance(items, list):
        raise SourceFailed(_SHAPE)
    pairs = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise SourceFailed(f"Q&A pair {index + 1} is not an object. {_SHAPE}")
        pairs.append((_field(item, "question", index), _field(item, "answer", index)))
    return qa_documents(pairs, title)


def _field(item: dict[str, object], name: str, index: int) -> str:
    value = item.get(name)
    if value is None:
        raise SourceFailed(f'Q&A pair {index + 1} has no "{name}".', field=f"pairs[{index}]")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SourceFailed(f'Q&A pair {index + 1}: "{name}" must be text.', field=f"pairs[{index}]")
    return str(value)
