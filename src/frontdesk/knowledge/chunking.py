"""Cut documents into retrieval-sized chunks that never cross a section boundary."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from frontdesk.knowledge.documents import ChunkDraft, Document, Section
from frontdesk.knowledge.limits import shorten

HEADING_SEPARATOR = " > "  # joins a heading path: "Warranty > Coverage"; loaders use it too
TITLE_SEPARATOR = " — "
MAX_FACTOR = 1.5  # a chunk may outgrow the target this much rather than strand a fragment
ATOMIC_SPLIT_FACTOR = 3  # atomic sections (rows, Q&A) are only cut beyond this
# Words are counted, not measured, so a chunk also has a length in characters: room for the
# largest chunk of ordinary words (English averages some six characters a word with its
# space), never a 200 KB "word". The embedder reads only the first 256 tokens (about 1,000
# characters) anyway; what follows serves keyword search and the answer.
CHARS_PER_WORD = 10
MAX_TITLE_CHARS = 300  # a chunk's title repeats its document's title and heading path

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# A sentence ends at . ! ? … (optionally closed by quotes or brackets) before whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n")
_HAS_CONTENT = re.compile(r"[^\W_]")  # a letter or a digit
# A heading's own number ("2. Deposit and payment", "4) Returns"): kept inline, it would read
# as a numbered list's item.
_HEADING_NUMBER = re.compile(r"^(?:\d{1,3}[.)])+\s+(?=\S)")


@dataclass(frozen=True)
class _Piece:
    """A sentence or line, with the separator that preceded it in the source."""

    text: str
    words: int
    joiner: str  # "\n\n" opens a paragraph, "\n" a line, " " continues a line
    overlap: bool = False  # repeated from the end of the previous chunk


def content_hash(text: str) -> str:
    """Hash text after Unicode and whitespace normalisation, so cosmetic edits don't count."""
    normalised = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def max_chunk_chars(target_words: int) -> int:
    """The most characters a chunk of ``target_words`` words may have, however long its words."""
    return target_words * ATOMIC_SPLIT_FACTOR * CHARS_PER_WORD


def chunk_document(doc: Document, target_words: int = 160) -> list[ChunkDraft]:
    """Chunks of about ``target_words`` words, each titled and located for citation."""
    if target_words < 1:
        raise ValueError("target_words must be positive")
    max_chars = max_chunk_chars(target_words)
    drafts = []
    for section in _merge_small(doc.sections, target_words):
        title = _chunk_title(doc.title, section.heading)
        location = section.location or section.heading
        url = section.url or doc.url
        for text in _split_section(section, target_words, max_chars):
            if _HAS_CONTENT.search(text):
                drafts.append(ChunkDraft(text=text, title=title, location=location, url=url))
    return drafts


def _chunk_title(doc_title: str, heading: str) -> str:
    parts = [part for part in heading.split(HEADING_SEPARATOR) if part]
    # Pages usually repeat their title as the first heading; say it once.
    if parts and parts[0].casefold() == doc_title.strip().casefold():
        parts = parts[1:]
    if not parts:
        return shorten(doc_title, MAX_TITLE_CHARS)
    path = HEADING_SEPARATOR.join(parts)
    return shorten(f"{doc_title}{TITLE_SEPARATOR}{path}" if doc_title else path, MAX_TITLE_CHARS)


def _merge_small(sections: list[Section], target_words: int) -> list[Section]:
    """Fold tiny neighbouring sections under one top-level heading into the first of them."""
    small = target_words // 2
    merged: list[Section] = []
    for section in sections:
        previous = merged[-1] if merged else None
        words = _count(section.text)
        if (
            previous is not None
            and _mergeable(previous, section)
            and words < small
            and _count(previous.text) + words <= target_words
        ):
            # The merged section's own heading would vanish from the title, so keep it inline.
            leaf = _HEADING_NUMBER.sub("", section.heading.split(HEADING_SEPARATOR)[-1])
            text = f"{previous.text}\n\n{leaf}\n{section.text}"
            merged[-1] = Section(
                text=text,
                heading=previous.heading,
                location=previous.location,
                url=previous.url,
            )
        else:
            merged.append(section)
    return merged


def _mergeable(first: Section, second: Section) -> bool:
    if first.atomic or second.atomic or not first.heading or not second.heading:
        return False
    top = first.heading.split(HEADING_SEPARATOR)[0]
    return (
        second.heading.split(HEADING_SEPARATOR)[0] == top
        and second.heading != first.heading
        and first.location == second.location  # never fold "page 3" into "page 2"
        and first.url == second.url
    )


def _split_section(section: Section, target_words: int, max_chars: int) -> list[str]:
    pieces = _pieces(section.text, target_words, max_chars)
    if not pieces:
        return []
    if section.atomic and _count_words(pieces) <= target_words * ATOMIC_SPLIT_FACTOR:
        text = _render(pieces)
        if len(text) <= max_chars:
            return [text]
    return [_render(chunk) for chunk in _pack(pieces, target_words, max_chars)]


def _pack(pieces: list[_Piece], target_words: int, max_chars: int) -> list[list[_Piece]]:
    """Greedy packing that prefers paragraph boundaries and repeats one sentence of overlap."""
    limit = int(target_words * MAX_FACTOR)
    chunks: list[list[_Piece]] = []
    current: list[_Piece] = []
    fresh = 0  # words in ``current`` that are not overlap from the previous chunk

    def flush() -> None:
        nonlocal current, fresh
        if fresh:
            chunks.append(current)
            last = current[-1]
            # Overlap only with a sentence short enough to leave room for new text.
            keep = last.words <= target_words // 3 and len(last.text) <= max_chars // 3
            current = [_Piece(last.text, last.words, "", overlap=True)] if keep else []
        fresh = 0

    for index, piece in enumerate(pieces):
        size = _count_words(current)
        fits = size + piece.words <= target_words
        if fresh and _length([*current, piece]) > max_chars:
            flush()
        elif fresh and piece.joiner == "\n\n" and fresh >= target_words // 4:
            paragraph = _paragraph_words(pieces, index)
            # Move a whole paragraph to the next chunk rather than cut it, when it fits there.
            if size + paragraph > target_words and (paragraph <= target_words or not fits):
                flush()
        elif fresh and not fits and (fresh >= target_words // 2 or size + piece.words > limit):
            flush()
        if not fresh and (
            _count_words(current) + piece.words > limit or _length([*current, piece]) > max_chars
        ):
            current = []  # The overlap sentence would push this chunk past the limit.
        current.append(piece)
        fresh += piece.words
    if fresh:
        chunks.append(current)
    return _absorb_tail(chunks, target_words, limit, max_chars)


def _absorb_tail(
    chunks: list[list[_Piece]], target_words: int, limit: int, max_chars: int
) -> list[list[_Piece]]:
    """Fold a last chunk of a few words into the one before it when that stays in bounds."""
    if len(chunks) < 2:
        return chunks
    tail = [piece for piece in chunks[-1] if not piece.overlap]
    tail_words = _count_words(tail)
    if (
        tail_words < target_words // 4
        and _count_words(chunks[-2]) + tail_words <= limit
        and _length(chunks[-2] + tail) <= max_chars
    ):
        return [*chunks[:-2], chunks[-2] + tail]
    return chunks


def _paragraph_words(pieces: list[_Piece], start: int) -> int:
    total = pieces[start].words
    for piece in pieces[start + 1 :]:
        if piece.joiner == "\n\n":
            break
        total += piece.words
    return total


def _pieces(text: str, target_words: int, max_chars: int) -> list[_Piece]:
    """Sentences and lines of the text, with giant sentences hard-split by words."""
    pieces = []
    for number, paragraph in enumerate(_PARAGRAPH_BREAK.split(text.strip())):
        joiner = "\n\n" if number else ""
        position = 0
        for match in [*_SENTENCE_END.finditer(paragraph), None]:
            end = match.start() if match else len(paragraph)
            sentence = paragraph[position:end]
            # The closing quotes/brackets matched by the split belong to this sentence.
            if match:
                sentence += match.group().rstrip()
            words = sentence.split()
            for part in _runs(words, target_words, max_chars, len(sentence)):
                pieces.append(_Piece(" ".join(part), len(part), joiner))
                joiner = " "
            if words and match is not None:
                joiner = "\n" if "\n" in match.group() else " "
            position = match.end() if match else len(paragraph)
    return pieces


def _runs(words: list[str], most: int, max_chars: int, length: int) -> Iterator[list[str]]:
    """Runs of at most ``most`` words and ``max_chars`` characters; a longer word is cut."""
    if length <= max_chars:  # every sentence of ordinary text: only the word count matters
        for start in range(0, len(words), most):
            yield words[start : start + most]
        return
    run: list[str] = []
    size = 0
    for word in words:
        for start in range(0, len(word), max_chars):
            part = word[start : start + max_chars]
            if run and (len(run) == most or size + 1 + len(part) > max_chars):
                yield run
                run, size = [], 0
            size += len(part) + (1 if run else 0)
            run.append(part)
    if run:
        yield run


def _render(pieces: list[_Piece]) -> str:
    text = "".join(
        (piece.joiner if index else "") + piece.text for index, piece in enumerate(pieces)
    )
    return text.strip()


def _length(pieces: list[_Piece]) -> int:
    """The characters the pieces render to, at most (rendering drops the first joiner)."""
    if not pieces:
        return 0
    return sum(len(piece.joiner) + len(piece.text) for piece in pieces) - len(pieces[0].joiner)


def _count(text: str) -> int:
    return len(text.split())


def _count_words(pieces: list[_Piece]) -> int:
    return sum(piece.words for piece in pieces)
