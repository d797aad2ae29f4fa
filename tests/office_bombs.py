"""Hostile Office files built in memory: zip bombs, huge sheets, parts that lie about their size."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from itertools import repeat
from xml.sax.saxutils import escape

from factories import make_docx

MB = 1024 * 1024
_SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RELS_NS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def docx_with_body(body: Iterable[bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """A real DOCX whose document body is ``body`` (streamed in), plus any extra parts."""
    original = zipfile.ZipFile(io.BytesIO(make_docx(["Placeholder"])))
    head = original.read("word/document.xml").split(b"<w:body>")[0] + b"<w:body>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in original.infolist():
            if item.filename != "word/document.xml":
                target.writestr(item, original.read(item.filename))
                continue
            with target.open(item.filename, "w") as document:
                document.write(head)
                for chunk in body:
                    document.write(chunk)
                document.write(b"</w:body></w:document>")
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def docx_bomb(unpacked: int) -> bytes:
    """A valid DOCX whose body is ``unpacked`` bytes of paragraphs that compress ~330-fold."""
    paragraphs = b"<w:p><w:r><w:t>bomb</w:t></w:r></w:p>" * 1000
    return docx_with_body(repeat(paragraphs, unpacked // len(paragraphs)))


def xlsx_rows(rows: int, *, texts: Iterable[str] = ("Part", "Stock", "Track belt")) -> bytes:
    """A workbook of one sheet: a header, then ``rows`` rows, written as Excel writes them."""

    def sheet() -> Iterator[str]:
        yield '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        for start in range(2, rows + 2, 10_000):
            yield "".join(
                f'<row r="{n}"><c r="A{n}" t="s"><v>2</v></c><c r="B{n}"><v>{n % 97}</v></c></row>'
                for n in range(start, min(start + 10_000, rows + 2))
            )

    return _workbook(texts, sheet())


def xlsx_repeating(text: str, *, columns: int, rows: int) -> bytes:
    """A workbook whose every data cell shows one shared ``text``, stored once: a text bomb."""
    header = [f"Column {n}" for n in range(columns)]
    cells = f'<c t="s"><v>{columns}</v></c>' * columns

    def sheet() -> Iterator[str]:
        yield "<row>" + "".join(f'<c t="s"><v>{n}</v></c>' for n in range(columns)) + "</row>"
        yield from repeat(f"<row>{cells}</row>", rows)

    return _workbook([*header, text], sheet())


def _workbook(texts: Iterable[str], rows: Iterable[str]) -> bytes:
    """One sheet named Stock holding ``rows`` (row markup, streamed in) and shared ``texts``."""
    strings = "".join(f"<si><t>{escape(text)}</t></si>" for text in texts)
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships {_RELS_NS}><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook {_SHEET_NS} xmlns:r="{_REL}"><sheets>'
            '<sheet name="Stock" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships {_RELS_NS}><Relationship Id="rId1" Type="{_REL}/worksheet" '
            'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            f'Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/sharedStrings.xml": f"<sst {_SHEET_NS}>{strings}</sst>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, text in parts.items():
            target.writestr(name, text)
        with target.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f"<worksheet {_SHEET_NS}><sheetData>".encode())
            for markup in rows:
                sheet.write(markup.encode())
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def with_declared_size(archive: bytes, name: str, size: int) -> bytes:
    """The archive with ``name``'s directory entry claiming ``size`` unpacked bytes.

    The CRC is set to match the first ``size`` bytes, so a reader that stops at the declared
    size sees a sound part: only the size it read tells whether it stopped.
    """
    content = zipfile.ZipFile(io.BytesIO(archive)).read(name)
    encoded = name.encode()
    entry = archive.find(b"PK\x01\x02")  # the directory entries
    while entry >= 0:
        (length,) = struct.unpack_from("<H", archive, entry + 28)
        if archive[entry + 46 : entry + 46 + length] == encoded:
            break
        entry = archive.find(b"PK\x01\x02", entry + 1)
    else:
        raise KeyError(name)
    patched = bytearray(archive)
    struct.pack_into("<I", patched, entry + 16, zlib.crc32(content[:size]))
    struct.pack_into("<I", patched, entry + 24, size)
    return bytes(patched)
