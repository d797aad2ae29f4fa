"""Chunking: sizes, overlap, section boundaries, titles and locations, content hashes."""

from __future__ import annotations

import itertools
import re

from frontdesk.knowledge.chunking import (
    MAX_TITLE_CHARS,
    chunk_document,
    content_hash,
    max_chunk_chars,
)
from frontdesk.knowledge.documents import Document, Section


def sentences(count: int, prefix: str = "S", words: int = 10) -> list[str]:
    """Distinct, numbered sentences of exactly ``words`` words."""
    filler = " ".join(["word"] * (words - 2))
    return [f"{prefix}{n} {filler} end." for n in range(count)]


def words(text: str) -> int:
    return len(text.split())


def test_long_section_is_packed_near_the_target_with_one_sentence_overlap() -> None:
    paragraphs = [" ".join(sentences(4, prefix=f"P{p}s")) for p in range(10)]  # 40 words each
    doc = Document("Guide", [Section("\n\n".join(paragraphs), heading="Care")])
    chunks = chunk_document(doc, target_words=100)
    assert len(chunks) >= 4
    assert all(words(c.text) <= 150 for c in chunks)
    assert all(words(c.text) >= 40 for c in chunks)
    for previous, current in itertools.pairwise(chunks):
        last_sentence = re.split(r"(?<=\.)\s+", previous.text)[-1]
        assert current.text.startswith(last_sentence)
    every = " ".join(c.text for c in chunks)
    for p in range(10):
        assert f"P{p}s3" in every  # nothing lost


def test_paragraphs_are_not_cut_when_they_fit_in_the_next_chunk() -> None:
    first = " ".join(sentences(7, prefix="A"))  # 70 words
    second = " ".join(sentences(6, prefix="B"))  # 60 words
    doc = Document("Guide", [Section(f"{first}\n\n{second}")])
    chunks = chunk_document(doc, target_words=100)
    assert len(chunks) == 2
    assert "B0" not in chunks[0].text
    assert chunks[1].text.startswith("A6")  # overlap, then the whole second paragraph
    assert "B5" in chunks[1].text


def test_giant_sentence_is_hard_split_by_words() -> None:
    giant = " ".join(f"w{n}" for n in range(1000))
    chunks = chunk_document(Document("Log", [Section(giant)]), target_words=100)
    assert all(words(c.text) <= 150 for c in chunks)
    joined = " ".join(c.text for c in chunks).split()
    assert set(joined) == {f"w{n}" for n in range(1000)}


def test_chunks_never_span_sections_and_carry_titles_and_locations() -> None:
    doc = Document(
        "Service guide",
        [
            Section("Open 9 to 5 on weekdays.", heading="Hours", location="page 1"),
            Section("Tune-up costs $189.", heading="Prices", location="page 2"),
        ],
        url="https://example.com/guide.pdf",
    )
    chunks = chunk_document(doc)
    assert [(c.title, c.location, c.text) for c in chunks] == [
        ("Service guide — Hours", "page 1", "Open 9 to 5 on weekdays."),
        ("Service guide — Prices", "page 2", "Tune-up costs $189."),
    ]
    assert all(c.url == "https://example.com/guide.pdf" for c in chunks)


def test_location_falls_back_to_heading_and_section_url_wins() -> None:
    doc = Document(
        "Help",
        [Section("Text here.", heading="Help > Returns", url="https://x.example/help#returns")],
        url="https://x.example/help",
    )
    chunk = chunk_document(doc)[0]
    assert chunk.title == "Help — Returns"  # the page title is not repeated
    assert chunk.location == "Help > Returns"
    assert chunk.url == "https://x.example/help#returns"


def test_small_sections_under_one_top_heading_are_merged() -> None:
    doc = Document(
        "Manual",
        [
            Section("Covers parts for five years.", heading="Warranty > Coverage"),
            Section("Racing damage is excluded.", heading="Warranty > Exclusions"),
            Section("Return within 30 days.", heading="Returns"),
        ],
    )
    chunks = chunk_document(doc, target_words=100)
    assert len(chunks) == 2
    assert chunks[0].title == "Manual — Warranty > Coverage"
    assert chunks[0].text == (
        "Covers parts for five years.\n\nExclusions\nRacing damage is excluded."
    )
    assert chunks[1].title == "Manual — Returns"


def test_a_merged_sections_heading_kept_inline_loses_its_number() -> None:
    # "2. Payment" inline would read as an item of a numbered list, not as a heading.
    doc = Document(
        "Booking conditions",
        [
            Section("Guests must be 18 or over.", heading="Terms > 1. Your booking"),
            Section("A 30% deposit is taken.", heading="Terms > 2. Payment"),
            Section("Cancel by phone.", heading="Terms > 3.1. Cancelling"),
        ],
    )
    (chunk,) = chunk_document(doc, target_words=100)
    assert chunk.text == (
        "Guests must be 18 or over.\n\nPayment\nA 30% deposit is taken."
        "\n\nCancelling\nCancel by phone."
    )


def test_pages_are_never_merged() -> None:
    doc = Document(
        "Flyer",
        [
            Section("Page one.", heading="Offer", location="page 1"),
            Section("Page two.", heading="Offer", location="page 2"),
        ],
    )
    assert [c.location for c in chunk_document(doc)] == ["page 1", "page 2"]


def test_atomic_sections_stay_whole_and_unmerged() -> None:
    rows = [
        Section(f"Model: M{n}; Price: ${n}00", heading="Sheet", location=f"row {n}", atomic=True)
        for n in range(2, 5)
    ]
    long_answer = "Q: Warranty?\nA: " + " ".join(sentences(20))  # 200+ words, under 3x target
    qa = Section(long_answer, location="Q&A 1", atomic=True)
    chunks = chunk_document(Document("Stock", [*rows, qa]), target_words=100)
    assert [c.location for c in chunks] == ["row 2", "row 3", "row 4", "Q&A 1"]
    assert chunks[0].text == "Model: M2; Price: $200"
    assert chunks[3].text.startswith("Q: Warranty?\nA: S0")
    assert words(chunks[3].text) > 200


def test_huge_atomic_section_is_split() -> None:
    qa = Section("Q: Everything?\nA: " + " ".join(sentences(40)), location="Q&A 1", atomic=True)
    chunks = chunk_document(Document("FAQ", [qa]), target_words=100)
    assert len(chunks) > 1
    assert all(c.location == "Q&A 1" for c in chunks)


def test_a_chunk_never_exceeds_its_character_cap_however_long_its_words() -> None:
    cap = max_chunk_chars(160)
    assert cap == 4_800  # 480 words (the most an atomic chunk holds) of ten characters
    name = "Recommended" + "x" * 989  # a 1,000-character column name is a single "word"
    row = "; ".join(f"{name}{n}: a" for n in range(200))
    giant = "y" * 100_000  # one word, no spaces at all
    prose = " ".join(sentences(30))
    doc = Document(
        "Stock",
        [
            Section(row, location="row 2", atomic=True),
            Section(giant, location="page 1"),
            Section(prose, location="page 2"),
        ],
    )
    chunks = chunk_document(doc, target_words=160)
    assert all(len(chunk.text) <= cap for chunk in chunks)
    by_location = {
        place: [c.text for c in chunks if c.location == place] for place in ("row 2", "page 1")
    }
    # Nothing is lost or repeated: long pieces are cut, not overlapped.
    assert " ".join(by_location["row 2"]) == row
    assert "".join(by_location["page 1"]) == giant
    assert len(by_location["page 1"]) == 21  # 100,000 characters in slices of 4,800
    # Ordinary prose around them is chunked exactly as it was.
    alone = chunk_document(Document("Stock", [Section(prose, location="page 2")]), 160)
    assert [c.text for c in chunks if c.location == "page 2"] == [c.text for c in alone]


def test_a_long_title_is_shortened_in_every_chunk() -> None:
    doc = Document("Manual " + "z" * 5000, [Section("Text.", heading="Care")])
    (chunk,) = chunk_document(doc)
    assert len(chunk.title) == MAX_TITLE_CHARS
    assert chunk.title.startswith("Manual zzz") and chunk.title.endswith("…")


def test_whitespace_is_normalised_and_empty_chunks_dropped() -> None:
    doc = Document(
        "Notes",
        [
            Section("  Line   one\t here.\n   Line two.  \n\n\n\nNext   paragraph. "),
            Section("----- *** -----", heading="Divider"),
            Section("   ", heading="Blank"),
        ],
    )
    chunks = chunk_document(doc)
    assert [c.text for c in chunks] == ["Line one here.\nLine two.\n\nNext paragraph."]


def test_title_without_heading_is_the_document_title() -> None:
    chunk = chunk_document(Document("Price list", [Section("Belt $40.")]))[0]
    assert (chunk.title, chunk.location) == ("Price list", "")


def test_content_hash_ignores_whitespace_differences() -> None:
    assert content_hash("Open  9 to 5.\n") == content_hash("Open 9 to 5.")
    assert content_hash("Open 9 to 5.") != content_hash("Open 9 to 6.")
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash("x"))
