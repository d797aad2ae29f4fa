"""Fuzzing the loaders and the agent file: damaged input is a readable failure, never a crash.

Hypothesis mutates a valid seed of each format (bytes flipped, inserted, cut, repeated; for
the zipped Office formats also the XML inside the archive) and the loader must either return
documents that chunk, or raise the product's own error (a failed source with its reason, a
415). Each example is bounded in memory (tracemalloc) and in time (hypothesis' deadline).
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import Heading, make_csv, make_docx, make_pdf, make_xlsx
from frontdesk.agents.configfile import parse_agent_file
from frontdesk.errors import FrontdeskError
from frontdesk.knowledge.chunking import chunk_document
from frontdesk.knowledge.loaders import load_file

# Far above what a few-kilobyte document needs; a parser that balloons on damage fails it.
PEAK_BYTES = 64 * 1024 * 1024
FUZZ = settings(
    max_examples=60,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SEEDS: dict[str, bytes] = {
    "price-list.pdf": make_pdf(["Glacier 850 costs 14,999 dollars.", "Service: Tue-Fri."]),
    "faq.docx": make_docx(
        [Heading(1, "Hours"), "Open Tuesday to Friday.", [["Model", "Price"], ["X", "9"]]]
    ),
    "stock.xlsx": make_xlsx({"Stock": [["Model", "Price"], ["Glacier 850", 14999]]}),
    "stock.csv": make_csv([["Model", "Price"], ["Glacier 850", "14999"]]),
    "faq.md": b"# Hours\n\nOpen **Tuesday** to Friday.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "page.html": (
        b"<html><head><title>Hours</title></head><body><nav>Menu</nav><h1>Hours</h1>"
        b"<p>Open Tuesday to Friday.</p><table><tr><td>a</td></tr></table></body></html>"
    ),
    "notes.txt": b"Open Tuesday to Friday.\nClosed on holidays.\n",
    "pairs.json": json.dumps(
        [{"question": "When are you open?", "answer": "Tuesday to Friday."}]
    ).encode(),
}
AGENT_FILE = """\
name: Ridgeline
greeting: Hi! Ask me about our snowmobiles.
confidence_threshold: 0.5
rules:
  keywords:
    - {phrase: lawyer, priority: urgent}
  max_failed_answers: 2
actions:
  - type: form
    name: contact
    fields:
      - {name: email, type: email, required: true}
"""


@st.composite
def damaged(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few random edits."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        edit = draw(st.sampled_from(["flip", "insert", "cut", "truncate", "repeat"]))
        if edit == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif edit == "cut":
            del data[at : at + draw(st.integers(1, 256))]
        elif edit == "truncate":
            del data[at:]
        else:
            piece = bytes(data[at : at + draw(st.integers(1, 512))])
            data[at:at] = piece * draw(st.integers(1, 50))
    return bytes(data)


@st.composite
def damaged_inside(draw: st.DrawFn, seed: bytes) -> bytes:
    """An Office file whose archive is sound but one of its XML parts is damaged."""
    with zipfile.ZipFile(io.BytesIO(seed)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    name = draw(st.sampled_from(sorted(n for n in parts if n.endswith(".xml"))))
    parts[name] = draw(damaged(parts[name]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, content in parts.items():
            archive.writestr(part, content)
    return out.getvalue()


def _loads_or_fails_readably(data: bytes, filename: str) -> None:
    tracemalloc.start()
    try:
        try:
            documents = load_file(data, filename)
        except FrontdeskError as error:
            assert error.status in (413, 415, 422) and str(error)
            return
        assert documents and all(not document.is_empty for document in documents)
        for document in documents:
            assert all(draft.text.strip() for draft in chunk_document(document))
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{filename}: {peak / 1e6:.0f} MB for {len(data)} bytes"


@pytest.mark.parametrize("filename", sorted(SEEDS))
def test_a_damaged_file_loads_or_fails_readably(filename: str) -> None:
    @FUZZ
    @given(data=damaged(SEEDS[filename]))
    def check(data: bytes) -> None:
        _loads_or_fails_readably(data, filename)

    _loads_or_fails_readably(SEEDS[filename], filename)  # the seed itself loads
    check()


@pytest.mark.parametrize("filename", ["faq.docx", "stock.xlsx"])
def test_an_office_file_with_damaged_xml_loads_or_fails_readably(filename: str) -> None:
    @FUZZ
    @given(data=damaged_inside(SEEDS[filename]))
    def check(data: bytes) -> None:
        _loads_or_fails_readably(data, filename)

    check()


@FUZZ
@given(text=damaged(AGENT_FILE.encode()).map(lambda b: b.decode("utf-8", "replace")))
def test_a_damaged_agent_file_is_refused_with_a_reason(text: str) -> None:
    try:
        spec = parse_agent_file(text)
    except FrontdeskError as error:
        assert error.status == 422 and str(error)
    else:
        assert spec.name
