"""Office bombs and oversized sources fail fast, with a reason, in bounded memory."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app_fixtures import Accounts, api_client, new_agent
from factories import make_csv, make_docx, make_pdf, make_xlsx
from frontdesk.errors import SourceFailed
from frontdesk.knowledge.limits import DEFAULT_LIMITS, Limits
from frontdesk.knowledge.loaders import load_file
from frontdesk.knowledge.loaders._package import open_package, stream_part
from frontdesk.settings import Settings
from office_bombs import (
    MB,
    docx_bomb,
    docx_with_body,
    with_declared_size,
    xlsx_repeating,
    xlsx_rows,
)
from support import ServerThread, wait_for_source

SMALL = b"# Opening hours\n\nWe are open Tuesday to Friday, 8:00 to 17:30."
# Column names an honest price list might have: the first stays whole, the second is more
# than any label needs and is shortened to 100 characters in every row.
PRICE_NAME = "Price including VAT and delivery to mainland addresses (installation quoted apart)"
LONG_NAME = (
    "Recommended retail price including VAT and delivery to mainland addresses, excluding "
    "installation, which we quote separately"
)
PRICE_LIST = [
    ["Model", "Price", PRICE_NAME, LONG_NAME],
    ["Glacier 850", "$12,999", "$13,450", "$13,999"],
]
PRICE_ROW = (
    f"Model: Glacier 850; Price: $12,999; {PRICE_NAME}: $13,450; "
    f"{LONG_NAME[:99].rstrip()}…: $13,999"
)


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    # Uploads up to 16 MB so a million-row workbook arrives at all; the caps stay the
    # defaults unless a test sets its own, as an operator would.
    caps: dict[str, Any] = getattr(request, "param", {})
    return Settings(data_dir=tmp_path / "data", max_upload_mb=16, **caps)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A 1.2 MB DOCX holding 400 MB of XML, like the one that took a server to 3.9 GB."""
    return docx_bomb(400 * MB)


@pytest.fixture(scope="module")
def million_rows() -> bytes:
    return xlsx_rows(1_000_000)


# --- Through the API, on a real server --------------------------------------------------


def test_bombs_fail_within_seconds_while_another_workspace_is_served(
    server: ServerThread, accounts: Accounts, bomb: bytes, million_rows: bytes
) -> None:
    assert len(bomb) < 1.3 * MB and len(million_rows) < 12 * MB
    (attacker, attacker_agent), (bystander, bystander_agent) = _two_workspaces(server, accounts)
    baseline = _reset_peak_memory()
    started = time.monotonic()
    hostile = _upload(
        attacker, attacker_agent, [("manual.docx", bomb), ("stock.xlsx", million_rows)]
    )
    (small,) = _upload(bystander, bystander_agent, [("hours.md", SMALL)])

    docx_source, xlsx_source = (wait_for_source(attacker, s, timeout=60) for s in hostile)
    failed_after = time.monotonic() - started
    assert docx_source["status"] == "failed"
    assert "unpacks to more than 100 MB" in docx_source["error"]
    assert "FRONTDESK_MAX_UNPACKED_MB" in docx_source["error"]
    assert xlsx_source["status"] == "failed"
    assert "more than 50,000 rows" in xlsx_source["error"]
    assert "FRONTDESK_MAX_ROWS" in xlsx_source["error"]
    assert wait_for_source(bystander, small, timeout=60)["status"] == "ready"
    assert failed_after < 20, f"the bombs took {failed_after:.1f}s to fail"
    # The old loaders took this process past 3.9 GB; now it is the upload and one parse.
    grown = _peak_memory() - baseline
    assert grown < 150 * MB, f"peak memory grew by {grown / MB:.0f} MB"


@pytest.mark.parametrize(
    "settings",
    [
        {
            "max_rows": 3,
            "max_pdf_pages": 2,
            "max_chunks": 4,
            "max_unpacked_mb": 1,
            "max_archive_parts": 40,
            "max_text_mb": 1,
        }
    ],
    indirect=True,
)
def test_each_cap_is_a_setting_named_in_the_reason(
    server: ServerThread, accounts: Accounts
) -> None:
    http = api_client(server, accounts, accounts.default_workspace(), timeout=60)
    agent = new_agent(http)
    rows = [["Part", "Stock"]] + [[f"Belt {n}", str(n)] for n in range(5)]
    long_text = "\n\n".join(f"# Chapter {n}\n\n" + "All about sleds. " * 150 for n in range(6))
    with_parts = docx_with_body([b""], {f"extra/part{n}.xml": b"<a/>" for n in range(40)})
    unpacked = docx_with_body([b""], {"word/media/photo.bin": bytes(range(256)) * 5000})
    files = [
        ("parts.csv", make_csv(rows)),
        ("parts.xlsx", make_xlsx({"Parts": rows})),
        ("brochure.pdf", make_pdf(["Page one", "Page two", "Page three"])),
        ("manual.md", long_text.encode()),
        ("parts.docx", with_parts),
        ("photo.docx", unpacked),
        ("notes.txt", b"Track belts wear out. " * 50_000),
        ("fits.csv", make_csv(rows[:3])),
    ]
    sources = _upload(http, agent, files)
    final = {name: wait_for_source(http, s) for (name, _), s in zip(files, sources, strict=True)}
    expected = {
        "parts.csv": ("more than 3 rows", "FRONTDESK_MAX_ROWS"),
        "parts.xlsx": ("more than 3 rows", "FRONTDESK_MAX_ROWS"),
        "brochure.pdf": ("3 pages, more than the 2", "FRONTDESK_MAX_PDF_PAGES"),
        "manual.md": ("more than 4 chunks", "FRONTDESK_MAX_CHUNKS"),
        "parts.docx": ("more than 40 parts", "FRONTDESK_MAX_ARCHIVE_PARTS"),
        "photo.docx": ("unpacks to more than 1 MB", "FRONTDESK_MAX_UNPACKED_MB"),
        "notes.txt": ("more than 1 MB of text", "FRONTDESK_MAX_TEXT_MB"),
    }
    for name, (limit, setting) in expected.items():
        assert final[name]["status"] == "failed", name
        assert limit in final[name]["error"] and setting in final[name]["error"], final[name]
    assert final["fits.csv"]["status"] == "ready"


def test_text_that_multiplies_fails_within_seconds_in_bounded_memory(
    server: ServerThread, accounts: Accounts
) -> None:
    # The reported file: 200 columns named with 1,000 characters each, then 3,000 rows of "a";
    # it became 3,000 chunks of 200 KB and took the server from 388 MB to 1.58 GB.
    names = [f"Column {n} ".ljust(1000, "x") for n in range(200)]
    header_bomb = make_csv([names] + [["a"] * 200] * 3000)
    # One 32,000-character text stored once and shown in 60,000 cells: 1.9 G characters.
    shared_bomb = xlsx_repeating("Long text " * 3200, columns=20, rows=3000)
    assert 1.3 * MB < len(header_bomb) < 1.5 * MB and len(shared_bomb) < 20_000
    honest = make_csv(PRICE_LIST)
    (attacker, attacker_agent), (bystander, bystander_agent) = _two_workspaces(server, accounts)
    baseline = _reset_peak_memory()
    started = time.monotonic()
    hostile = _upload(
        attacker, attacker_agent, [("stock.csv", header_bomb), ("stock.xlsx", shared_bomb)]
    )
    (prices,) = _upload(bystander, bystander_agent, [("prices.csv", honest)])

    for source in (wait_for_source(attacker, s, timeout=60) for s in hostile):
        assert source["status"] == "failed", source
        assert "more than 50 MB of text" in source["error"], source
        assert "FRONTDESK_MAX_TEXT_MB" in source["error"], source
    failed_after = time.monotonic() - started
    assert wait_for_source(bystander, prices, timeout=60)["status"] == "ready"
    assert failed_after < 20, f"the text bombs took {failed_after:.1f}s to fail"
    # The cap is 50 M characters: some 100 MB here (the "…" of a shortened name makes a row
    # two bytes a character), where the same file took the server past 1.5 GB.
    grown = _peak_memory() - baseline
    assert grown < 200 * MB, f"peak memory grew by {grown / MB:.0f} MB"
    hits = bystander.get(
        f"/api/v1/agents/{bystander_agent}/search", params={"q": "Glacier", "mode": "lexical"}
    ).json()
    assert [hit["text"] for hit in hits] == [PRICE_ROW]


def _two_workspaces(
    server: ServerThread, accounts: Accounts
) -> tuple[tuple[httpx.Client, str], tuple[httpx.Client, str]]:
    """An attacker's and a bystander's workspace, each with an API client and an agent."""
    clients = [
        api_client(server, accounts, accounts.workspace(name), timeout=60)
        for name in ("Attacker", "Bystander")
    ]
    attacker, bystander = ((http, new_agent(http)) for http in clients)
    return attacker, bystander


# --- The loaders, in process ------------------------------------------------------------


def test_limits_default_to_the_settings_defaults() -> None:
    assert Limits.from_settings(Settings()) == DEFAULT_LIMITS


def test_a_bomb_is_refused_from_its_directory_before_anything_is_inflated(bomb: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(SourceFailed, match="unpacks to more than 100 MB"):
            load_file(bomb, "manual.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 * MB


def test_a_part_is_never_read_past_the_size_it_declares() -> None:
    # 100 MB of XML whose directory entry claims 1,000 bytes (with a matching checksum).
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.xml", b"<a>" + b" " * (100 * MB) + b"</a>")
    lying = with_declared_size(big.getvalue(), "big.xml", 1000)
    tracemalloc.start()
    try:
        read = b"".join(stream_part(open_package(lying, "test", DEFAULT_LIMITS), "big.xml"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(read) == 1000
    assert peak < 2 * MB


def test_a_document_that_lies_about_its_size_is_reported_as_corrupted() -> None:
    body = [b"<w:p><w:r><w:t>" + b"x" * MB + b"</w:t></w:r></w:p>"] * 50
    lying = with_declared_size(docx_with_body(body), "word/document.xml", 4096)
    tracemalloc.start()
    try:
        with pytest.raises(SourceFailed, match="does not look like a valid DOCX"):
            load_file(lying, "contract.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * MB


def test_too_many_parts_are_refused_before_zipfile_reads_the_directory() -> None:
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(DEFAULT_LIMITS.max_archive_parts + 1):
            archive.writestr(f"part{number}", b"")
    for name in ("manual.docx", "attachment"):  # by extension, and sniffed
        with pytest.raises(SourceFailed, match=r"more than 2,000 parts.*MAX_ARCHIVE_PARTS"):
            load_file(many.getvalue(), name)


def test_a_long_document_is_read_in_bounded_memory() -> None:
    paragraph = b"<w:p><w:r><w:t>The Glacier 850 has a two-year warranty.</w:t></w:r></w:p>"
    data = docx_with_body([paragraph * 1000] * (40 * MB // (len(paragraph) * 1000)))
    baseline = _reset_peak_memory()
    (document,) = load_file(data, "manual.docx")
    grown = _peak_memory() - baseline
    assert "two-year warranty" in document.sections[0].text
    # python-docx held the whole tree: ten times the XML, some 450 MB for this one.
    assert grown < 120 * MB, f"peak memory grew by {grown / MB:.0f} MB"


def test_one_giant_paragraph_is_refused_rather_than_built() -> None:
    data = docx_with_body([b"<w:p>", b"<w:r/>" * (3 * MB // 6), b"</w:p>"])
    with pytest.raises(SourceFailed, match=r"paragraph or table row .* larger than 2 MB"):
        load_file(data, "manual.docx")


def test_a_workbook_stops_at_the_row_limit_not_after_the_last_row(million_rows: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(SourceFailed, match="more than 50,000 rows"):
        load_file(million_rows, "stock.xlsx")
    assert time.monotonic() - started < 10
    with pytest.raises(SourceFailed, match="more than 10 rows"):
        load_file(million_rows, "stock.xlsx", limits=Limits(max_rows=10))


def test_a_workbook_with_more_texts_than_its_rows_could_use_is_refused() -> None:
    texts = [f"Text {n}" for n in range(30)]
    with pytest.raises(SourceFailed, match="more than 20 distinct texts"):
        load_file(xlsx_rows(1, texts=texts), "stock.xlsx", limits=Limits(max_rows=1))


def test_caps_leave_ordinary_files_alone() -> None:
    (document,) = load_file(make_docx(["Within every limit."]), "fine.docx", limits=Limits())
    assert document.sections[0].text == "Within every limit."


def test_a_spreadsheet_renders_short_column_names_and_bounded_cells() -> None:
    assert len(PRICE_NAME) < 100 < len(LONG_NAME)
    for name, data in (
        ("prices.csv", make_csv(PRICE_LIST)),
        ("prices.xlsx", make_xlsx({"P": PRICE_LIST})),
    ):
        (document,) = load_file(data, name)
        assert [s.text for s in document.sections] == [PRICE_ROW]
    # Excel holds at most 32,767 characters in a cell; a CSV cell gives no more.
    (document,) = load_file(make_csv([["Notes"], ["x" * 40_000]]), "notes.csv")
    assert document.sections[0].text == f"Notes: {'x' * 32_766}…"


def test_a_merged_cell_repeated_down_a_table_is_refused_before_it_is_built() -> None:
    def row(note: str) -> bytes:
        merge = "continue" if not note else "restart"
        text = f"<w:r><w:t>{note}</w:t></w:r>" if note else ""
        return (
            "<w:tr><w:tc><w:p><w:r><w:t>Belt</w:t></w:r></w:p></w:tc><w:tc><w:tcPr>"
            f'<w:vMerge w:val="{merge}"/></w:tcPr><w:p>{text}</w:p></w:tc></w:tr>'
        ).encode()

    # A 1 MB note merged down 50,000 rows: 50 G characters from a 60 KB file.
    body = [b"<w:tbl>", row("Notes"), row("Long note " * 100_000), *[row("") * 1000] * 50]
    data = docx_with_body([*body, b"</w:tbl>"])
    assert len(data) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(SourceFailed, match=r"more than 50 MB of text.*MAX_TEXT_MB"):
            load_file(data, "manual.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30 * MB


def test_headings_repeated_in_every_section_count_and_are_shortened() -> None:
    long_heading = "Warranty " * 1000
    sections = "".join(f"## Part {n}\n\nCovered.\n\n" for n in range(6000))
    data = f"# {long_heading}\n\n{sections}".encode()
    with pytest.raises(SourceFailed, match=r"more than 1 MB of text.*MAX_TEXT_MB"):
        load_file(data, "manual.md", limits=Limits(max_text_mb=1))
    (document,) = load_file(data, "manual.md")
    top = document.sections[0].heading.split(" > ")[0]
    assert len(top) == 200 and top.endswith("…")


# --- Helpers ----------------------------------------------------------------------------


def _upload(http: httpx.Client, agent_id: str, files: list[tuple[str, bytes]]) -> list[str]:
    response = http.post(
        f"/api/v1/agents/{agent_id}/sources/files",
        files=[("file", (name, data, "application/octet-stream")) for name, data in files],
    )
    assert response.status_code == 202, response.text
    return [source["id"] for source in response.json()]


def _status_lines() -> Iterator[tuple[str, int]]:
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                yield key, int(value.split()[0]) * 1024


def _reset_peak_memory() -> int:
    """Restart this process's peak-RSS count (VmHWM) at its current RSS, and return that."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return dict(_status_lines())["VmRSS"]


def _peak_memory() -> int:
    return dict(_status_lines())["VmHWM"]
