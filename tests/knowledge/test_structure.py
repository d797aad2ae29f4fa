"""Chunks follow the document: heading paths in titles, one chunk per FAQ question with its
answer, one chunk per table row with its column names, PDFs split by layout, all bounded."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from fpdf import FPDF
from sqlalchemy import select

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.chunking import chunk_document, max_chunk_chars
from frontdesk.knowledge.documents import ChunkDraft
from frontdesk.knowledge.limits import Limits
from frontdesk.knowledge.loaders import load_file
from frontdesk.knowledge.loaders.html import parse_html
from frontdesk.knowledge.models import Chunk

PAYMENTS = [
    ("Can I pay by debit card?", "Yes, we take Visa and Mastercard debit cards."),
    ("Do you accept cash?", "Cash is fine for anything under $2,000."),
    ("Can I pay in instalments?", "Financing is arranged through Lakeshore Lending."),
    ("Is there a card surcharge?", "No, card payments cost the same as cash."),
    ("Do you take cheques?", "Only certified cheques, for vehicle purchases."),
    ("Can I pay a deposit online?", "Yes, through the link in your quote email."),
]
PRICES = [
    ["Service", "Price", "Time"],
    ["Tune-up", "$189", "2 hours"],
    ["Oil change", "$79", "1 hour"],
]
PRICE_ROWS = [
    "Service: Tune-up; Price: $189; Time: 2 hours",
    "Service: Oil change; Price: $79; Time: 1 hour",
]
PARAGRAPH = (
    "Every new machine comes with a limited factory warranty that covers defects in "
    "materials and workmanship, parts and labour included, for the first full year. "
)


def chunks(data: bytes, name: str, limits: Limits | None = None) -> list[ChunkDraft]:
    """A file as the index receives it: loaded by the product, then chunked."""
    (document,) = load_file(data, name, limits=limits or Limits())
    return chunk_document(document)


def by_title(drafts: list[ChunkDraft]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for draft in drafts:
        found.setdefault(draft.title, []).append(draft.text)
    return found


# --- Markdown ---------------------------------------------------------------------------


def faq_markdown() -> str:
    questions = "".join(f"### {q}\n\n{a}\n\n" for q, a in PAYMENTS)
    return f"# Help\n\nAsk us anything.\n\n## Payments\n\n{questions}## Delivery\n\nWe deliver.\n"


def test_markdown_faq_gives_one_chunk_per_question_with_its_answer() -> None:
    drafts = chunks(faq_markdown().encode(), "help.md")
    faq = [d for d in drafts if d.title.endswith("?")]
    assert [(d.title, d.text) for d in faq] == [
        (f"Help — Payments > {question}", answer) for question, answer in PAYMENTS
    ]
    assert [d.title for d in drafts if not d.title.endswith("?")] == ["Help", "Help — Delivery"]


def test_markdown_question_lines_inside_a_section_head_their_answers() -> None:
    text = """# Help

## Payments

We want paying to be easy.

**Can I pay by debit card?**
Yes, we take Visa and Mastercard debit cards.

**Do you accept cash?** Cash is fine for anything under $2,000.

Is there a card surcharge?

No, card payments cost the same as cash.

- Not even for large purchases.
- Not even on weekends.
"""
    drafts = chunks(text.encode(), "help.md")
    assert [(d.title, d.text) for d in drafts] == [
        ("Help — Payments", "We want paying to be easy."),
        (
            "Help — Payments > Can I pay by debit card?",
            "Yes, we take Visa and Mastercard debit cards.",
        ),
        ("Help — Payments > Do you accept cash?", "Cash is fine for anything under $2,000."),
        (
            "Help — Payments > Is there a card surcharge?",
            "No, card payments cost the same as cash.\n\n"
            "- Not even for large purchases.\n- Not even on weekends.",
        ),
    ]


def test_markdown_table_gives_one_chunk_per_row_named_by_its_columns() -> None:
    lines = [PRICES[0], ["---"] * 3, *PRICES[1:]]
    table = "\n".join("| " + " | ".join(row) + " |" for row in lines)
    text = f"# Service\n\n## Prices\n\nOur rates:\n\n{table}\n\nTaxes are extra.\n"
    drafts = chunks(text.encode(), "service.md")
    assert [(d.title, d.location, d.text) for d in drafts] == [
        ("Service — Prices", "Service > Prices", "Our rates:"),
        ("Service — Prices", "row 2", PRICE_ROWS[0]),
        ("Service — Prices", "row 3", PRICE_ROWS[1]),
        ("Service — Prices", "Service > Prices", "Taxes are extra."),
    ]


def test_markdown_table_of_one_column_stays_text() -> None:
    text = "## Brands\n\n| Brand | |\n|---|---|\n| Glacier | |\n| Trailhawk | |\n"
    (draft,) = chunks(text.encode(), "brands.md")
    assert (draft.location, draft.text) == ("Brands", "Brand\nGlacier\nTrailhawk")


def test_markdown_code_is_never_read_as_a_question() -> None:
    text = "## Regex\n\n```\nmatches?\nfoo.*bar\n```\n"
    (draft,) = chunks(text.encode(), "code.md")
    assert (draft.title, draft.text) == ("code — Regex", "matches?\nfoo.*bar")


# --- HTML -------------------------------------------------------------------------------


PAGE = """<html><head><title>Northside Motors</title></head><body><main>
<h1>Help</h1>
<h2 id="pay">Payments</h2>
<p>We want paying to be easy.</p>
<h3>Can I pay by debit card?</h3><p>Yes, we take Visa and Mastercard debit cards.</p>
<p><strong>Do you accept cash?</strong> Cash is fine for anything under $2,000.</p>
<dl><dt>Is there a card surcharge?</dt><dd>No, card payments cost the same as cash.</dd>
<dt>Do you take cheques?</dt><dd>Only certified cheques.</dd></dl>
<details><summary>Can I pay a deposit online?</summary><p>Yes, by the quote link.</p></details>
<h2 id="prices">Prices</h2>
<table><thead><tr><th>Service</th><th>Price</th><th>Time</th></tr></thead>
<tbody><tr><td>Tune-up</td><td>$189</td><td>2 hours</td></tr>
<tr><td>Oil change</td><td>$79</td><td>1 hour</td></tr></tbody></table>
<h2>Hours</h2>
<table><tr><th>Monday</th><td>9–5</td></tr><tr><th>Saturday</th><td>9–1</td></tr></table>
</main></body></html>"""


def test_html_faq_tables_and_heading_paths_in_titles() -> None:
    document, _ = parse_html(PAGE, "https://motors.example/help")
    drafts = chunk_document(document)
    assert [(d.title, d.location, d.text) for d in drafts] == [
        ("Northside Motors — Help > Payments", "Help > Payments", "We want paying to be easy."),
        (
            "Northside Motors — Help > Payments > Can I pay by debit card?",
            "Help > Payments > Can I pay by debit card?",
            "Yes, we take Visa and Mastercard debit cards.",
        ),
        *[
            (f"Northside Motors — Help > Payments > {q}", f"Help > Payments > {q}", a)
            for q, a in [
                ("Do you accept cash?", "Cash is fine for anything under $2,000."),
                ("Is there a card surcharge?", "No, card payments cost the same as cash."),
                ("Do you take cheques?", "Only certified cheques."),
                ("Can I pay a deposit online?", "Yes, by the quote link."),
            ]
        ],
        ("Northside Motors — Help > Prices", "row 2", PRICE_ROWS[0]),
        ("Northside Motors — Help > Prices", "row 3", PRICE_ROWS[1]),
        # A table without a header row (labels down its side) stays text.
        ("Northside Motors — Help > Hours", "Help > Hours", "Monday | 9–5\nSaturday | 9–1"),
    ]
    rows = [d for d in drafts if d.location.startswith("row")]
    assert {d.url for d in rows} == {"https://motors.example/help#prices"}


# --- DOCX -------------------------------------------------------------------------------


def make_manual_docx() -> bytes:
    """Headings (one in a custom style based on Heading 2), an FAQ, a table, a list."""
    document = docx.Document()
    document.add_heading("Owner's manual", level=0)  # the Title style names the document
    document.add_heading("Warranty", level=1)
    document.add_paragraph(PARAGRAPH)
    chapter = document.styles.add_style("Chapter", WD_STYLE_TYPE.PARAGRAPH)
    chapter.base_style = document.styles["Heading 2"]
    document.add_paragraph("Service prices", style="Chapter")
    table = document.add_table(rows=len(PRICES), cols=3)
    for r, row in enumerate(PRICES):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_heading("Questions", level=1)
    for question, answer in PAYMENTS[:2]:
        document.add_paragraph(question)
        document.add_paragraph(answer)
    brands = document.add_table(rows=2, cols=1)  # one column: no header to name anything
    brands.cell(0, 0).text = "Glacier"
    brands.cell(1, 0).text = "Trailhawk"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_headings_faq_and_table_rows() -> None:
    drafts = chunks(make_manual_docx(), "manual.docx")
    assert [(d.title, d.location, d.text) for d in drafts] == [
        ("Owner's manual — Warranty", "Warranty", PARAGRAPH.strip()),
        ("Owner's manual — Warranty > Service prices", "row 2", PRICE_ROWS[0]),
        ("Owner's manual — Warranty > Service prices", "row 3", PRICE_ROWS[1]),
        *[(f"Owner's manual — Questions > {q}", f"Questions > {q}", a) for q, a in PAYMENTS[:1]],
        (
            f"Owner's manual — Questions > {PAYMENTS[1][0]}",
            f"Questions > {PAYMENTS[1][0]}",
            f"{PAYMENTS[1][1]}\n\nGlacier\nTrailhawk",
        ),
    ]


# --- PDF --------------------------------------------------------------------------------


class Pdf:
    """An fpdf2 document written the way office tools lay one out."""

    def __init__(self) -> None:
        self.pdf = FPDF()
        self.pdf.add_page()

    def heading(self, text: str, size: int = 16) -> None:
        self.pdf.set_font("Helvetica", "B", size)
        self.pdf.multi_cell(0, size * 0.6, text=text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def paragraph(self, text: str, bold: bool = False) -> None:
        self.pdf.set_font("Helvetica", "B" if bold else "", 11)
        self.pdf.multi_cell(0, 6, text=text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(4)

    def table(self, rows: list[list[str]]) -> None:
        self.pdf.set_font("Helvetica", size=11)
        with self.pdf.table() as table:
            for cells in rows:
                row = table.row()
                for cell in cells:
                    row.cell(cell)
        self.pdf.ln(4)

    def new_page(self) -> None:
        self.pdf.add_page()

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def test_pdf_is_split_by_headings_and_paragraphs_not_pages() -> None:
    pdf = Pdf()
    pdf.heading("Owner's manual", size=22)
    pdf.heading("Warranty")
    pdf.paragraph(PARAGRAPH * 3)
    pdf.paragraph("Racing damage is not covered.")
    pdf.heading("Service prices", size=13)
    pdf.table(PRICES)
    pdf.paragraph("Taxes are extra.")
    pdf.new_page()
    pdf.paragraph("Returns are accepted within 30 days with a receipt.")
    pdf.heading("Payments")
    pdf.paragraph("Can I pay by debit card?", bold=True)
    pdf.paragraph("Yes, we take Visa and Mastercard debit cards.")
    (document,) = load_file(pdf.output(), "scan_0001.pdf")
    assert document.title == "Owner's manual"  # the one heading set largest, on page 1
    assert [(s.heading, s.location, s.atomic) for s in document.sections] == [
        ("Owner's manual > Warranty", "page 1", False),
        ("Owner's manual > Warranty > Service prices", "page 1, row 2", True),
        ("Owner's manual > Warranty > Service prices", "page 1, row 3", True),
        ("Owner's manual > Warranty > Service prices", "page 1", False),
        ("Owner's manual > Payments > Can I pay by debit card?", "page 2", True),
    ]
    warranty, first_row, second_row, after_table, faq = document.sections
    assert warranty.text == f"{(PARAGRAPH * 3).strip()}\n\nRacing damage is not covered."
    assert [first_row.text, second_row.text] == PRICE_ROWS
    # A section runs on over the page break; it is cited by the page it starts on.
    assert after_table.text == (
        "Taxes are extra.\n\nReturns are accepted within 30 days with a receipt."
    )
    assert faq.text == "Yes, we take Visa and Mastercard debit cards."
    titles = [d.title for d in chunk_document(document)]
    assert titles[0] == "Owner's manual — Warranty"
    assert titles[-1] == "Owner's manual — Payments > Can I pay by debit card?"


def test_pdf_table_rows_keep_a_cell_wrapped_over_several_lines() -> None:
    """A long cell wraps; the row's one-line cells are set at its middle, so the wrapped
    lines are drawn above and below them. Each row is still one section, whole."""
    included = (
        "4 periodontal maintenance visits, 2 exams, all routine x-rays, "
        "1 emergency exam, 15% off other treatment"
    )
    pdf = Pdf()
    pdf.heading("Membership plans")
    pdf.table(
        [
            ["Plan", "Yearly fee", "What is included"],
            ["Adult plan", "$329", "2 exams, 2 cleanings, all routine x-rays, 1 emergency exam"],
            ["Gum care plan", "$499", included],
        ]
    )
    pdf.paragraph("Membership runs for 12 months from the day you join.")
    (document,) = load_file(pdf.output(), "plans.pdf")
    assert [(s.location, s.text) for s in document.sections] == [
        (
            "page 1, row 2",
            "Plan: Adult plan; Yearly fee: $329; "
            "What is included: 2 exams, 2 cleanings, all routine x-rays, 1 emergency exam",
        ),
        ("page 1, row 3", f"Plan: Gum care plan; Yearly fee: $499; What is included: {included}"),
        ("page 1", "Membership runs for 12 months from the day you join."),
    ]


def test_pdf_table_of_two_columns_keeps_a_long_first_cell_apart_from_the_second() -> None:
    """Where a cell ends is read from its font's glyph widths: a long first cell that ends
    close to the second column is still its own cell, and the table stays a table."""
    pdf = Pdf()
    pdf.heading("How long we keep data")
    pdf.table(
        [
            ["Data", "How long we keep it"],
            ["Invoices, payments and clients on an open account", "As long as it is open"],
            ["Your data after you close your account", "30 days, then deleted"],
            ["Backups", "35 days"],
        ]
    )
    pdf.paragraph("Billing records are kept for 7 years, as tax law requires.")
    (document,) = load_file(pdf.output(), "keep.pdf")
    assert [(s.heading, s.location, s.text) for s in document.sections] == [
        (
            "How long we keep data",
            "page 1, row 2",
            "Data: Invoices, payments and clients on an open account; "
            "How long we keep it: As long as it is open",
        ),
        (
            "How long we keep data",
            "page 1, row 3",
            "Data: Your data after you close your account; "
            "How long we keep it: 30 days, then deleted",
        ),
        ("How long we keep data", "page 1, row 4", "Data: Backups; How long we keep it: 35 days"),
        (
            "How long we keep data",
            "page 1",
            "Billing records are kept for 7 years, as tax law requires.",
        ),
    ]


def test_pdf_in_one_font_finds_headings_by_their_shape() -> None:
    pdf = Pdf()
    pdf.paragraph("Opening hours")
    pdf.paragraph("We are open Tuesday to Friday from 8:00 to 17:30 and on Saturday mornings.")
    pdf.paragraph("Parking")
    pdf.paragraph("Free parking is available behind the shop, with room for trailers.")
    pdf.paragraph("Ridgeline Powersports\n1840 Harbor Pine Drive\nDuluth, MN 55811")
    (document,) = load_file(pdf.output(), "visit.pdf")
    assert [(s.heading, s.text) for s in document.sections] == [
        (
            "Opening hours",
            "We are open Tuesday to Friday from 8:00 to 17:30 and on Saturday mornings.",
        ),
        (
            "Parking",
            "Free parking is available behind the shop, with room for trailers.\n\n"
            "Ridgeline Powersports\n1840 Harbor Pine Drive\nDuluth, MN 55811",  # kept apart
        ),
    ]


def test_pdf_without_structure_keeps_a_section_per_page_and_drops_page_numbers() -> None:
    pdf = Pdf()
    for number in range(1, 4):
        if number > 1:
            pdf.new_page()
        pdf.paragraph(f"Notes taken on day {number} of the trip, all in one plain font.")
        pdf.paragraph(f"More notes for day {number}, nothing that looks like a heading.")
        pdf.paragraph(str(number))  # a page number
    (document,) = load_file(pdf.output(), "notes.pdf")
    assert [(s.heading, s.location) for s in document.sections] == [
        ("", "page 1"),
        ("", "page 2"),
        ("", "page 3"),
    ]
    assert document.sections[1].text == (
        "Notes taken on day 2 of the trip, all in one plain font.\n\n"
        "More notes for day 2, nothing that looks like a heading."
    )


# --- Bounds -----------------------------------------------------------------------------


def test_a_big_table_is_a_bounded_chunk_per_row_and_stops_at_the_row_limit() -> None:
    wide = "Recommended retail price including delivery " + "x" * 300
    rows = "".join(f"| M{n} | ${n} | {'y' * 40_000 if n == 7 else 'ok'} |\n" for n in range(3000))
    text = f"## Sleds\n\n| Model | Price | {wide} |\n|---|---|---|\n{rows}"
    drafts = chunks(text.encode(), "stock.md")
    assert len(drafts) >= 3000
    assert all(len(d.text) <= max_chunk_chars(160) for d in drafts)
    assert {d.title for d in drafts} == {"stock — Sleds"}
    assert drafts[0].text == f"Model: M0; Price: $0; {wide[:99]}…: ok"
    assert drafts[0].location == "row 2"
    with pytest.raises(SourceFailed, match=r"Markdown file has more than 1,000 rows"):
        chunks(text.encode(), "stock.md", Limits(max_rows=1000))
    html = f"<table><tr><th>A</th><th>B</th></tr>{'<tr><td>1</td><td>2</td></tr>' * 1001}"
    with pytest.raises(SourceFailed, match=r"HTML file has more than 1,000 rows"):
        load_file(html.encode(), "big.html", limits=Limits(max_rows=1000))


def test_a_pdf_set_all_in_bold_has_no_headings_and_keeps_its_pages() -> None:
    pdf = Pdf()
    for number in range(400):  # every line short and bold: the fonts tell nothing apart
        pdf.paragraph(f"Item {number} in bold", bold=True)
    (document,) = load_file(pdf.output(), "list.pdf")
    pages = len(document.sections)
    assert pages > 10 and all(s.heading == "" for s in document.sections)
    assert [s.location for s in document.sections] == [f"page {n}" for n in range(1, pages + 1)]


def test_a_pdf_of_many_headings_gives_bounded_sections() -> None:
    pdf = Pdf()
    for number in range(500):
        pdf.heading(f"Part {number}", size=13)
        pdf.paragraph(f"Part {number} is covered for two years, labour included, at any dealer.")
    (document,) = load_file(pdf.output(), "parts.pdf")
    assert [s.heading for s in document.sections] == [f"Part {n}" for n in range(500)]
    drafts = chunk_document(document)
    assert len(drafts) == 500 and all(len(d.text) <= max_chunk_chars(160) for d in drafts)


def test_pdf_text_counts_against_the_text_limit_as_it_is_read() -> None:
    pdf = Pdf()
    pdf.pdf.set_font("Helvetica", size=6)
    for _ in range(12_000):  # a run of text held costs more than its characters
        pdf.pdf.cell(20, 3, text="ab", new_x="LMARGIN", new_y="NEXT")
    with pytest.raises(SourceFailed, match=r"more than 1 MB of text.*FRONTDESK_MAX_TEXT_MB"):
        load_file(pdf.output(), "tiny-runs.pdf", limits=Limits(max_text_mb=1))


# --- Through ingestion ------------------------------------------------------------------


async def test_ingested_faq_and_table_are_stored_as_units(started, tmp_path: Path) -> None:
    agent = await started.agent("Dealer")
    path = tmp_path / "help.md"
    table = "| Service | Price | Time |\n|---|---|---|\n| Tune-up | $189 | 2 hours |\n"
    path.write_text(faq_markdown() + "\n## Prices\n\n" + table)
    source_id = await started.ingest_file(agent, path)
    async with started.runtime.db.session() as session:
        stored = list(
            await session.execute(
                select(Chunk.title, Chunk.location, Chunk.text)
                .where(Chunk.source_id == source_id)
                .order_by(Chunk.ordinal)
            )
        )
        search = started.runtime.searcher.search
        hits = await search(session, agent.id, "debit card", mode="lexical")
    questions = [title for title, _, _ in stored if title.endswith("?")]
    assert questions == [f"Help — Payments > {q}" for q, _ in PAYMENTS]
    assert ("Help — Prices", "row 2", PRICE_ROWS[0]) in [tuple(row) for row in stored]
    assert hits[0].text == PAYMENTS[0][1]


def test_a_question_answered_by_a_table_heads_its_rows() -> None:
    table = "| Service | Price |\n|---|---|\n| Tune-up | $189 |\n"
    text = f"## Service\n\n**What does service cost?**\n\n{table}"
    (row,) = chunks(text.encode(), "help.md")
    assert (row.title, row.location, row.text) == (
        "help — Service > What does service cost?",
        "row 2",
        "Service: Tune-up; Price: $189",
    )
