"""Minimal, valid office, image and archive files, byte-for-byte reproducible.

Used by the attachment generators (``files_d*.py``). Every writer takes the output path and plain
Python data; archives carry a fixed timestamp and a fixed member order, PDFs are written with
reportlab's invariant mode, so running the generators twice gives identical bytes.

Writers: :func:`write_text`, :func:`write_csv`, :func:`write_html`, :func:`write_zip`,
:func:`write_odt`, :func:`write_ods`, :func:`write_docx`, :func:`write_xlsx`, :func:`write_png`,
:func:`write_pdf`.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

#: Timestamp of every archive member (the earliest a ZIP can hold).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

Cell = str | int | float


def _prepare(path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_text(path: Path, text: str) -> None:
    """A UTF-8 text file with Unix line ends."""
    _prepare(path).write_bytes(text.encode("utf-8"))


def write_csv(path: Path, rows: Sequence[Sequence[Cell]], *, delimiter: str = ";") -> None:
    """A UTF-8 CSV file (semicolon-separated by default, as French spreadsheets expect)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerows(rows)
    write_text(path, buf.getvalue())


def write_html(path: Path, title: str, body: str, *, lang: str = "fr") -> None:
    """A small standalone HTML page; ``body`` is inserted as HTML."""
    write_text(
        path,
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
    )


def _zip_bytes(members: Sequence[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, (name, data) in enumerate(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED if (stored_first and i == 0) else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def write_zip(path: Path, members: dict[str, bytes | str]) -> None:
    """A ZIP archive; members are written in the given order, text as UTF-8."""
    items = [(name, data.encode("utf-8") if isinstance(data, str) else data) for name, data in members.items()]
    _prepare(path).write_bytes(_zip_bytes(items))


# --- OpenDocument -----------------------------------------------------------------------------

_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)


def _odf(path: Path, mimetype: str, body: str, *, title: str, author: str) -> None:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODF_NS} office:version="1.2">'
        f"<office:body>{body}</office:body></office:document-content>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {_ODF_NS} office:version="1.2">'
        f"<office:meta><dc:title>{escape(title)}</dc:title><meta:initial-creator>{escape(author)}"
        f"</meta:initial-creator><dc:creator>{escape(author)}</dc:creator></office:meta></office:document-meta>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    members = [
        ("mimetype", mimetype.encode("ascii")),
        ("content.xml", content.encode("utf-8")),
        ("meta.xml", meta.encode("utf-8")),
        ("META-INF/manifest.xml", manifest.encode("utf-8")),
    ]
    _prepare(path).write_bytes(_zip_bytes(members, stored_first=True))


def write_odt(path: Path, paragraphs: Sequence[str], *, title: str = "", author: str = "Cadenas") -> None:
    """An OpenDocument text (LibreOffice Writer): one paragraph per string."""
    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    mimetype = "application/vnd.oasis.opendocument.text"
    _odf(path, mimetype, f"<office:text>{body}</office:text>", title=title, author=author)


def _ods_cell(value: Cell) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = escape(str(value))
        return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    return (
        f'<table:table-cell office:value-type="float" office:value="{value}">'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


def write_ods(
    path: Path, rows: Sequence[Sequence[Cell]], *, sheet: str = "Feuille1", title: str = "", author: str = "Cadenas"
) -> None:
    """An OpenDocument spreadsheet (LibreOffice Calc) with one sheet; numbers stay numbers."""
    table = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows)
    body = f'<office:spreadsheet><table:table table:name="{escape(sheet)}">{table}</table:table></office:spreadsheet>'
    _odf(path, "application/vnd.oasis.opendocument.spreadsheet", body, title=title, author=author)


# --- Office Open XML --------------------------------------------------------------------------

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _core(title: str, author: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator></cp:coreProperties>"
    )


def _ooxml(
    path: Path, main_type: str, main_part: str, parts: list[tuple[str, str]], *, title: str, author: str
) -> None:
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{ctype}"/>'
        for name, ctype in [
            (main_part, main_type),
            ("docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
            *[(n, t) for n, t in _extra_types(parts)],
        ]
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{overrides}</Types>"
    )
    rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_RELS_NS}">'
        f'<Relationship Id="rId1" Type="{_DOC_REL}/officeDocument" Target="{main_part}"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
        'metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
    )
    members = [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", rels),
        ("docProps/core.xml", _core(title, author)),
        *[(name, xml) for name, xml in parts],
    ]
    _prepare(path).write_bytes(_zip_bytes([(n, x.encode("utf-8")) for n, x in members]))


def _extra_types(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    known = {
        "xl/worksheets/sheet1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    }
    return [(name, known[name]) for name, _ in parts if name in known]


def write_docx(path: Path, paragraphs: Sequence[str], *, title: str = "", author: str = "Cadenas") -> None:
    """A Word document: one paragraph per string."""
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs)
    document = f"{_XML_HEAD}<w:document {ns}><w:body>{body}</w:body></w:document>"
    main_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    _ooxml(path, main_type, "word/document.xml", [("word/document.xml", document)], title=title, author=author)


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _xlsx_cell(ref: str, value: Cell) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def write_xlsx(
    path: Path, rows: Sequence[Sequence[Cell]], *, sheet: str = "Feuille1", title: str = "", author: str = "Cadenas"
) -> None:
    """An Excel workbook with one sheet (inline strings, numbers stay numbers)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    data = "".join(
        f'<row r="{r + 1}">' + "".join(_xlsx_cell(f"{_column(c)}{r + 1}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows)
    )
    sheet_xml = f"{_XML_HEAD}<worksheet {ns}><sheetData>{data}</sheetData></worksheet>"
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {ns} xmlns:r="{_DOC_REL}">'
        f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    wb_rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_RELS_NS}">'
        f'<Relationship Id="rId1" Type="{_DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    main_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    parts = [
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", wb_rels),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ]
    _ooxml(path, main_type, "xl/workbook.xml", parts, title=title, author=author)


# --- PNG --------------------------------------------------------------------------------------

Pixel = tuple[int, int, int]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(
    path: Path, width: int, height: int, pixel: Callable[[int, int], Pixel], *, text: dict[str, str] | None = None
) -> None:
    """An RGB PNG whose pixel (x, y) is ``pixel(x, y)``, with optional tEXt metadata (Latin-1)."""
    raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    chunks = [_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    for key, value in (text or {}).items():
        chunks.append(_chunk(b"tEXt", key.encode("latin-1") + b"\x00" + value.encode("latin-1")))
    chunks.append(_chunk(b"IDAT", zlib.compress(raw, 9)))
    chunks.append(_chunk(b"IEND", b""))
    _prepare(path).write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(chunks))


def rectangles(background: Pixel, shapes: Sequence[tuple[int, int, int, int, Pixel]]) -> Callable[[int, int], Pixel]:
    """A pixel function: ``background`` with filled rectangles ``(x0, y0, x1, y1, colour)`` on top."""

    def pixel(x: int, y: int) -> Pixel:
        for x0, y0, x1, y1, colour in reversed(shapes):
            if x0 <= x < x1 and y0 <= y < y1:
                return colour
        return background

    return pixel


# --- PDF --------------------------------------------------------------------------------------


def write_pdf(path: Path, lines: Sequence[str], *, title: str = "", author: str = "Cadenas") -> None:
    """A one-page (or more) A4 PDF of plain text lines, uncompressed and reproducible (reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=0)
    pdf.setTitle(title)
    pdf.setAuthor(author)
    y = A4[1] - 72
    for line in lines:
        if y < 72:
            pdf.showPage()
            y = A4[1] - 72
        pdf.setFont("Helvetica", 12)
        pdf.drawString(72, y, line)
        y -= 18
    pdf.save()
    _prepare(path).write_bytes(buf.getvalue())
