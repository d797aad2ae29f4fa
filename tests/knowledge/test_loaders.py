"""Loaders turn real files of every supported format into located sections."""

from __future__ import annotations

import json

import pytest

from factories import (
    Formula,
    Heading,
    Styled,
    make_csv,
    make_docx,
    make_encrypted_pdf,
    make_image_only_pdf,
    make_pdf,
    make_xlsx,
    make_zip,
)
from frontdesk.errors import SourceFailed, UnsupportedMedia
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.loaders import SUPPORTED_EXTENSIONS, is_supported, load_file
from frontdesk.knowledge.loaders.html import parse_html
from frontdesk.knowledge.loaders.qa import qa_documents

INVENTORY = [
    ["Model", "Price", "Year", "Notes"],
    ["Glacier 850", "$12,999", "2024", ""],
    ["", "", "", ""],
    ["Trailhawk 570", "$8,499", "2023", "Demo unit"],
]

PAGE = """<!doctype html>
<html><head><title>Northside Motors — Service</title>
<style>.x { color: red }</style><script>trackVisitor("secret-tracker")</script></head>
<body>
  <header><a href="/">Logo</a><nav><a href="/shop">Shop our catalogue</a></nav></header>
  <div class="cookie-banner">We use cookies to improve things</div>
  <main>
    <h1>Service department</h1>
    <p>Book a   tune-up
       online or by phone.</p>
    <h2 id="hours">Hours</h2>
    <ul><li>Tuesday to Friday: 8:00–17:30</li><li>Saturday: 9:00–14:00</li></ul>
    <h3>Holidays</h3>
    <p>Closed on public holidays.</p>
    <h2>Prices</h2>
    <table><tr><th>Service</th><th>Price</th></tr><tr><td>Tune-up</td><td>$189</td></tr></table>
    <noscript>Enable JavaScript</noscript>
  </main>
  <aside>Related: winter tyres</aside>
  <footer>© 2024 Northside Motors <a href="https://facebook.example/northside">Facebook</a></footer>
</body></html>
"""

MARKDOWN = """---
layout: page
---
Intro before any heading with **bold** and _emphasis_.

Service department
==================

Book at [our booking page](https://example.com/book) or call us.
![Workshop photo](workshop.jpg)

## Hours

- Tuesday to *Friday*: 8:00–17:30
- Saturday: 9:00–14:00

```
# not a heading
opening_hours = "8-17"
```

### Holidays
Closed on public holidays. See `snake_case_name` and <https://example.com/holidays>.

Prices
------
| Service | Price |
|---------|-------|
| Tune-up | $189  |
"""


def only(documents: list[Document]) -> Document:
    assert len(documents) == 1
    return documents[0]


def full_text(document: Document) -> str:
    return "\n".join(section.text for section in document.sections)


# --- PDF -------------------------------------------------------------------------------


def test_pdf_has_one_section_per_page() -> None:
    data = make_pdf(["Our warranty lasts five years.", "", "Returns within 30 days."])
    document = only(load_file(data, "policies.pdf"))
    assert document.title == "policies"
    assert [s.location for s in document.sections] == ["page 1", "page 3"]  # page 2 is blank
    assert "five years" in document.sections[0].text
    assert "30 days" in document.sections[1].text


def test_pdf_metadata_title_wins_over_file_name() -> None:
    data = make_pdf(["Hello"], title="Owner's handbook")
    assert only(load_file(data, "scan_0001.pdf")).title == "Owner's handbook"


def test_password_protected_pdf_asks_for_an_unlocked_copy() -> None:
    with pytest.raises(SourceFailed, match="password-protected; upload an unlocked copy"):
        load_file(make_encrypted_pdf(["Secret price list"]), "prices.pdf")


def test_pdf_with_only_an_owner_password_opens() -> None:
    data = make_encrypted_pdf(["Printing is restricted, reading is not."], user_password="")
    assert "reading is not" in full_text(only(load_file(data, "restricted.pdf")))


def test_truncated_pdf_is_reported_as_corrupted() -> None:
    data = make_pdf(["Some text that will be cut off."])
    with pytest.raises(SourceFailed, match="valid PDF file"):
        load_file(data[: len(data) // 2], "broken.pdf")


def test_pdf_without_text_suggests_a_scan() -> None:
    with pytest.raises(SourceFailed, match=r"no extractable text \(is it a scanned image\?\)"):
        load_file(make_image_only_pdf(2), "scan.pdf")


# --- DOCX ------------------------------------------------------------------------------


def test_docx_sections_follow_heading_path_and_tables_keep_columns() -> None:
    data = make_docx(
        [
            "Thank you for buying a Glacier.",
            Heading(1, "Warranty"),
            "Every machine is covered.",
            Heading(2, "Coverage"),
            "Parts and labour.",
            [["Part", "Years"], ["Engine", "5"], ["Track", "2"]],
            Heading(2, "Exclusions"),
            "Racing damage.",
            Heading(1, "Returns"),
            "Within 30 days.",
        ]
    )
    document = only(load_file(data, "Glacier_manual.docx"))
    assert document.title == "Glacier manual"
    assert [(s.heading, s.location, s.text) for s in document.sections] == [
        ("", "", "Thank you for buying a Glacier."),
        ("Warranty", "", "Every machine is covered."),
        ("Warranty > Coverage", "", "Parts and labour."),
        ("Warranty > Coverage", "row 2", "Part: Engine; Years: 5"),
        ("Warranty > Coverage", "row 3", "Part: Track; Years: 2"),
        ("Warranty > Exclusions", "", "Racing damage."),
        ("Returns", "", "Within 30 days."),
    ]


def test_docx_lists_are_written_as_markdown_writes_them() -> None:
    data = make_docx(
        [
            "To take a test ride you must:",
            Styled("be at least 18 years old", "List Bullet"),
            Styled("show a valid driver's license", "List Bullet"),
            "Book one at the front desk.",
            "To file a warranty claim:",
            Styled("Call the service desk.", "List Number"),
            Styled("Bring proof of purchase.", "List Number"),
            Styled("Ask for Dana.", num_id="5", level=1),  # a level the list does not define
            Styled("Leave the unit with us.", "List Number"),
            Styled("A note styled as an item, its numbering taken off.", "List Bullet", "0"),
            Styled("Numbered by its own properties.", num_id="5"),
            [["Part", "Years"], ["Engine", "5"]],
            Styled("A list after a table.", "List Bullet"),
        ]
    )
    [first, row, last] = only(load_file(data, "rides.docx")).sections
    assert first.text == (
        "To take a test ride you must:\n\n"
        "- be at least 18 years old\n- show a valid driver's license\n\n"
        "Book one at the front desk.\n\n"
        "To file a warranty claim:\n\n"
        "1. Call the service desk.\n2. Bring proof of purchase.\n- Ask for Dana.\n"
        "3. Leave the unit with us.\n\n"
        "A note styled as an item, its numbering taken off.\n\n"
        "4. Numbered by its own properties."
    )
    assert (row.text, last.text) == ("Part: Engine; Years: 5", "- A list after a table.")


def test_docx_core_title_is_used() -> None:
    data = make_docx(["Body text."], title="Dealer handbook")
    assert only(load_file(data, "x.docx")).title == "Dealer handbook"


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 not really a zip", make_zip({"hello.txt": b"hi"}), b"plain text"],
    ids=["bad-zip", "zip-without-word", "text"],
)
def test_invalid_docx_is_reported_as_corrupted(data: bytes) -> None:
    with pytest.raises(SourceFailed, match="does not look like a valid DOCX file"):
        load_file(data, "contract.docx")


# --- HTML ------------------------------------------------------------------------------


def test_html_keeps_main_content_and_drops_boilerplate() -> None:
    document = only(load_file(PAGE.encode(), "service.html"))
    text = full_text(document)
    assert document.title == "Northside Motors — Service"
    for present in ("Book a tune-up online or by phone.", "Saturday: 9:00–14:00", "$189"):
        assert present in text
    for absent in ("secret-tracker", "color: red", "Shop our catalogue", "cookies", "©"):
        assert absent not in text
    assert "Related" not in text and "Enable JavaScript" not in text and "Logo" not in text


def test_html_sections_split_at_headings_with_paths_and_lines() -> None:
    document, _ = parse_html(PAGE, "https://motors.example/service")
    by_heading = {s.heading: s for s in document.sections}
    assert list(by_heading) == [
        "Service department",
        "Service department > Hours",
        "Service department > Hours > Holidays",
        "Service department > Prices",
    ]
    hours = by_heading["Service department > Hours"]
    assert hours.text.splitlines() == ["Tuesday to Friday: 8:00–17:30", "Saturday: 9:00–14:00"]
    assert hours.url == "https://motors.example/service#hours"  # the heading's anchor
    assert by_heading["Service department > Prices"].text == "Service: Tune-up; Price: $189"
    assert document.url == "https://motors.example/service"


def test_parse_html_returns_absolute_links_from_the_whole_page() -> None:
    _, links = parse_html(PAGE, "https://motors.example/service")
    assert links == [
        "https://motors.example/",
        "https://motors.example/shop",
        "https://facebook.example/northside",
    ]


def test_parse_html_resolves_relative_links_and_drops_fragments_and_other_schemes() -> None:
    html = """<body><a href="a.html#x">A</a><a href="#top">Top</a><a href="mailto:x@y.z">M</a>
    <a href="javascript:void(0)">J</a><a href="../b?q=1">B</a><a href="a.html">again</a></body>"""
    _, links = parse_html(html, "https://site.example/docs/index.html")
    assert links == [
        "https://site.example/docs/a.html",
        "https://site.example/docs/index.html",
        "https://site.example/b?q=1",
    ]


def test_html_without_main_uses_body_and_first_h1_as_title() -> None:
    html = "<body><nav>Menu</nav><h1>Opening hours</h1><p>Daily 9–5.</p></body>"
    document, _ = parse_html(html, None)
    assert document.title == "Opening hours"
    assert full_text(document) == "Daily 9–5."


def test_html_charset_from_meta_tag() -> None:
    html = '<html><head><meta charset="windows-1252"></head><body><p>Café crème</p></body>'
    document = only(load_file(html.encode("cp1252"), "menu.htm"))
    assert "Café crème" in full_text(document)


# --- Markdown --------------------------------------------------------------------------


def test_markdown_sections_and_plain_text() -> None:
    document = only(load_file(MARKDOWN.encode(), "service.md"))
    by_heading = {s.heading: s.text for s in document.sections}
    assert list(by_heading) == [
        "",
        "Service department",
        "Service department > Hours",
        "Service department > Hours > Holidays",
        "Service department > Prices",
    ]
    assert document.title == "Service department"
    assert by_heading[""] == "Intro before any heading with bold and emphasis."
    assert by_heading["Service department"] == "Book at our booking page or call us."
    hours = by_heading["Service department > Hours"]
    assert "- Tuesday to Friday: 8:00–17:30" in hours
    assert '# not a heading\nopening_hours = "8-17"' in hours  # code kept as text
    holidays = by_heading["Service department > Hours > Holidays"]
    assert "snake_case_name" in holidays and "https://example.com/holidays" in holidays
    prices = document.sections[-1]  # a table row, like a spreadsheet's
    assert (prices.text, prices.location, prices.atomic) == (
        "Service: Tune-up; Price: $189",
        "row 2",
        True,
    )
    text = full_text(document)
    assert "workshop" not in text.lower() and "](" not in text and "layout" not in text


# --- Plain text ------------------------------------------------------------------------


def test_cp1252_text_is_decoded() -> None:
    data = "Crème brûlée costs €6 — ask for “today’s” flavour.".encode("cp1252")
    assert full_text(only(load_file(data, "menu.txt"))) == (
        "Crème brûlée costs €6 — ask for “today’s” flavour."
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-8"])
def test_unicode_text_is_decoded(encoding: str) -> None:
    data = "Øl og smørbrød\r\n\r\n\r\nSecond   paragraph\n".encode(encoding)
    document = only(load_file(data, "notes.txt"))
    assert len(document.sections) == 1
    assert document.sections[0].text == "Øl og smørbrød\n\nSecond paragraph"


# --- Spreadsheets ----------------------------------------------------------------------


def test_csv_rows_become_atomic_sections_with_column_names() -> None:
    document = only(load_file(make_csv(INVENTORY), "inventory.csv"))
    assert [s.text for s in document.sections] == [
        "Model: Glacier 850; Price: $12,999; Year: 2024",
        "Model: Trailhawk 570; Price: $8,499; Year: 2023; Notes: Demo unit",
    ]
    assert [s.location for s in document.sections] == ["row 2", "row 4"]
    assert all(s.atomic for s in document.sections)


def test_semicolon_csv_and_tsv_are_read() -> None:
    semicolon = make_csv([["Model", "Price"], ["Glacier 850", "12999"]], delimiter=";")
    tab = make_csv([["Model", "Price"], ["Glacier 850", "12999"]], delimiter="\t")
    for data, name in ((semicolon, "prices.csv"), (tab, "prices.tsv")):
        section = only(load_file(data, name)).sections[0]
        assert section.text == "Model: Glacier 850; Price: 12999"


def test_header_only_csv_has_no_data_rows() -> None:
    with pytest.raises(SourceFailed, match="no data rows"):
        load_file(make_csv([["Model", "Price"]]), "empty.csv")


def test_xlsx_sheets_rows_and_cached_formula_values() -> None:
    data = make_xlsx(
        {
            "Sleds": [
                [None],
                ["Model", "Price", "Price with tax"],
                ["Glacier 850", 12999, Formula("B3*1.2", 15598.8)],
                [None, None, None],
                ["Ridge 600", 9999.0, None],
            ],
            "Parts": [["Part", "Stock"], ["Belt", 4]],
        }
    )
    document = only(load_file(data, "stock.xlsx"))
    sections = document.sections
    assert [(s.heading, s.location, s.text) for s in sections] == [
        ("Sleds", "Sleds row 3", "Model: Glacier 850; Price: 12999; Price with tax: 15598.8"),
        ("Sleds", "Sleds row 5", "Model: Ridge 600; Price: 9999"),
        ("Parts", "Parts row 2", "Part: Belt; Stock: 4"),
    ]
    assert "B3" not in full_text(document)


def test_single_sheet_xlsx_locations_are_plain_rows() -> None:
    data = make_xlsx({"Prices": [["Model", "Price"], ["Glacier 850", "$12,999"]]})
    section = only(load_file(data, "prices.xlsx")).sections[0]
    assert (section.location, section.heading) == ("row 2", "Prices")


def test_corrupt_xlsx_is_reported() -> None:
    with pytest.raises(SourceFailed, match="valid XLSX file"):
        load_file(b"PK\x03\x04garbage", "prices.xlsx")


# --- Q&A -------------------------------------------------------------------------------


def test_qa_pairs_are_atomic_sections() -> None:
    document = only(qa_documents([("Do you deliver?", "Yes, within 50 km.")], "FAQ"))
    section = document.sections[0]
    assert (section.text, section.location, section.atomic) == (
        "Q: Do you deliver?\nA: Yes, within 50 km.",
        "Q&A 1",
        True,
    )


def test_qa_pair_with_empty_answer_is_named() -> None:
    with pytest.raises(SourceFailed, match="Q&A pair 2 has an empty answer") as caught:
        qa_documents([("Open Sunday?", "No."), ("Parking?", "  ")], "FAQ")
    assert caught.value.field == "pairs[1]"


def test_json_qa_file() -> None:
    pairs = [{"question": "Do you deliver?", "answer": "Yes."}, {"question": "Cash?", "answer": 1}]
    document = only(load_file(json.dumps(pairs).encode(), "faq.json"))
    assert [s.location for s in document.sections] == ["Q&A 1", "Q&A 2"]
    assert document.sections[1].text == "Q: Cash?\nA: 1"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b'{"question": "x"}', "must be a list"),
        (b"[1, 2]", "Q&A pair 1 is not an object"),
        (b'[{"question": "Open?"}]', 'Q&A pair 1 has no "answer"'),
        (b'[{"question": "Open?", "answer": "Yes"},', "not valid JSON"),
    ],
)
def test_bad_json_qa_files_explain_the_problem(payload: bytes, message: str) -> None:
    with pytest.raises(SourceFailed, match=message):
        load_file(payload, "faq.json")


# --- Dispatch and failures -------------------------------------------------------------


def test_supported_extensions() -> None:
    assert ".pdf" in SUPPORTED_EXTENSIONS and ".xlsx" in SUPPORTED_EXTENSIONS
    assert is_supported("Price List.XLSX") and is_supported("dir/notes.markdown")
    assert not is_supported("setup.exe") and not is_supported("README")


def test_unsupported_file_type_lists_what_is_supported() -> None:
    with pytest.raises(
        UnsupportedMedia, match=r"Unsupported file type '\.exe'; supported: .*\.pdf"
    ):
        load_file(b"MZ\x90\x00\x03\x00\x00\x00", "setup.exe")


@pytest.mark.parametrize("name", ["notes.txt", "prices.csv", "guide.pdf", "noext"])
def test_empty_file(name: str) -> None:
    with pytest.raises(SourceFailed, match="The file is empty"):
        load_file(b"", name)


@pytest.mark.parametrize("name", ["notes.txt", "page.html", "readme.md"])
def test_file_without_text(name: str) -> None:
    with pytest.raises(SourceFailed, match="no text to learn from"):
        load_file(b"  \n\n\t \n", name)


def test_missing_extension_is_sniffed_from_magic_bytes_and_content_type() -> None:
    assert only(load_file(make_pdf(["Sniffed PDF"]), "download")).sections[0].location == "page 1"
    docx_data = make_docx([Heading(1, "Sniffed"), "Word body"])
    assert only(load_file(docx_data, "attachment.bin")).sections[0].heading == "Sniffed"
    csv_doc = only(load_file(make_csv(INVENTORY), "export", "text/csv; charset=utf-8"))
    assert csv_doc.sections[0].location == "row 2"
    assert full_text(only(load_file(b"just words", "README"))) == "just words"


def test_unexpected_library_errors_become_readable_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import frontdesk.knowledge.loaders as loaders

    def explode(data: bytes, title: str, limits: object) -> list[Document]:
        raise RuntimeError("internal parser state 0x3f")

    monkeypatch.setitem(loaders._FORMATS, ".txt", (explode, "text"))
    with pytest.raises(SourceFailed, match="Could not read this text file") as caught:
        load_file(b"hello", "notes.txt")
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_html_boilerplate_classes_on_wrappers_do_not_hide_the_content() -> None:
    policy = " ".join(["We store a cookie to remember your cart."] * 20)
    html = f"""<html><body class="cookies-accepted" hidden>
      <div class="page cookie-aware"><p>Our showroom opens at 9.</p>
        <section class="cookie-policy"><h2>Cookies</h2><p>{policy}</p></section>
        <div id="cookie-banner">Accept all cookies?</div></div></body></html>"""
    document, _ = parse_html(html, None)
    text = full_text(document)
    assert "Our showroom opens at 9." in text and "remember your cart" in text
    assert "Accept all" not in text


def test_links_drawn_as_buttons_are_not_content_unless_they_hold_a_number_or_ask() -> None:
    html = """<main><h2>Solo Plus</h2><p>$21 per month.</p>
      <a class="button" href="/signup?plan=solo-plus">Choose Solo Plus</a>
      <a class="btn btn-primary" href="/book">Book a demo</a>
      <p><a role="button" href="tel:+12185550147">Call (218) 555-0147</a></p>
      <p>Read the <a href="/terms">terms</a> first.</p>
      <a class="cta" href="#parking">Can I park here?</a><p>Yes, behind the shop.</p></main>"""
    document, _ = parse_html(html, None)
    said = " ".join(f"{s.heading} {s.text}" for s in document.sections)
    assert "Choose Solo Plus" not in said and "Book a demo" not in said
    assert "Call (218) 555-0147" in said and "Read the terms first." in said
    assert ("Solo Plus > Can I park here?", "Yes, behind the shop.") in [
        (s.heading, s.text) for s in document.sections
    ]


def test_short_page_inside_a_cookie_classed_wrapper_is_kept() -> None:
    html = """<body><div class="wrapper cookie-aware"><p>Open daily from 9 to 5.</p>
      <div class="cookie-notice">We use cookies.</div></div></body>"""
    document, _ = parse_html(html, None)
    assert full_text(document) == "Open daily from 9 to 5."


def test_collapsed_faq_answers_are_kept() -> None:
    html = """<main><h2>FAQ</h2><details><summary>Do you deliver?</summary>
      <p>Yes, within 50 km.</p></details><button>Parking?</button>
      <div hidden>Free parking behind the shop.</div></main>"""
    document, _ = parse_html(html, None)
    assert [(s.heading, s.text) for s in document.sections] == [
        ("FAQ > Do you deliver?", "Yes, within 50 km."),
        ("FAQ > Parking?", "Free parking behind the shop."),
    ]


def test_markdown_escapes_and_closing_hashes() -> None:
    data = b"## Prices ##\n\n5 \\* 3 is \\*not\\* emphasis; C# and a\\_b stay.\n"
    section = only(load_file(data, "notes.md")).sections[0]
    assert section.heading == "Prices"
    assert section.text == "5 * 3 is *not* emphasis; C# and a_b stay."


@pytest.mark.parametrize(
    "line",
    ["*a " * 30_000, "[" * 60_000, "<a " * 30_000, "[a](" * 20_000, "**a " * 20_000],
    ids=["stars", "brackets", "tags", "links", "bold"],
)
def test_hostile_markdown_lines_are_handled_in_linear_time(line: str) -> None:
    # With backtracking patterns each of these took minutes; now they take milliseconds.
    documents = load_file(line.encode(), "hostile.md")
    assert documents[0].sections


def test_markdown_rewraps_soft_line_breaks_but_keeps_lists_and_hard_breaks() -> None:
    data = b"Open Tuesday to Friday\nfrom 8:00 to 17:30.  \nCall ahead.\n\n- Tune-up\n  $189\n- Oil"
    section = only(load_file(data, "hours.md")).sections[0]
    assert section.text == (
        "Open Tuesday to Friday from 8:00 to 17:30.\nCall ahead.\n\n- Tune-up $189\n- Oil"
    )


@pytest.mark.parametrize(("user_password", "opens"), [("", True), ("secret", False)])
def test_aes_encrypted_pdf(user_password: str, opens: bool) -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Glacier 850 costs $12,999."]))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    if opens:  # owner-only protection (printing/copy limits) still lets us read the text
        (document,) = load_file(buffer.getvalue(), "locked.pdf")
        assert "Glacier 850" in document.sections[0].text
    else:
        with pytest.raises(SourceFailed, match="password-protected"):
            load_file(buffer.getvalue(), "locked.pdf")
