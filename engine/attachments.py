"""Text and data extraction from challenge attachments, for the bank checker.

Pure functions of ``(file name, bytes)``: the caller reads the file. They understand the formats
the bank ships: plain text (``.txt .csv .md .html .log .py .js``), OpenDocument (``.odt .ods``),
Office Open XML (``.docx .xlsx``), PDF (literal strings of uncompressed or Flate streams), ZIP
archives (recursively) and PNG text chunks.
"""

from __future__ import annotations

import csv
import html
import io
import re
import struct
import zipfile
import zlib
from pathlib import PurePosixPath

from engine.errors import BankError


class AttachmentError(BankError):
    """An attachment cannot be read as its extension says."""


TEXT_SUFFIXES = frozenset({".txt", ".csv", ".md", ".log", ".py", ".js", ".json", ".xml", ".svg"})
HTML_SUFFIXES = frozenset({".html", ".htm"})

_TAG = re.compile(r"<[^>]+>")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _xml_text(xml: bytes) -> str:
    # Paragraph and cell ends become new lines so that words of two cells never merge.
    marked = re.sub(rb"</(text:p|text:h|w:p|table:table-cell|c|si|row|table:table-row)>", b"\n", xml)
    return html.unescape(_TAG.sub(" ", _decode(marked)))


def _zip_members(name: str, data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise AttachmentError(f"{name}: not a valid ZIP-based file ({exc})") from exc


def _office_text(name: str, data: bytes, parts: re.Pattern[str]) -> str:
    with _zip_members(name, data) as zf:
        return "\n".join(_xml_text(zf.read(m)) for m in sorted(zf.namelist()) if parts.fullmatch(m))


_ODF_PARTS = re.compile(r"content\.xml|meta\.xml")
_DOCX_PARTS = re.compile(r"word/document\.xml|docProps/core\.xml")
_XLSX_PARTS = re.compile(r"xl/worksheets/.*\.xml|xl/sharedStrings\.xml|docProps/core\.xml")

_PDF_STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)\r?\nendstream", re.S)
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _pdf_strings(chunk: bytes) -> list[str]:
    """Literal ``(...)`` strings of a PDF chunk, with escapes and nested parentheses."""
    out, i = [], 0
    while (start := chunk.find(b"(", i)) != -1:
        depth, j, buf = 1, start + 1, bytearray()
        while j < len(chunk) and depth:
            ch = chunk[j : j + 1]
            if ch == b"\\":
                nxt = chunk[j + 1 : j + 2]
                octal = re.match(rb"[0-7]{1,3}", chunk[j + 1 : j + 4])
                if octal:
                    buf.append(int(octal.group(), 8) & 0xFF)
                    j += 1 + len(octal.group())
                    continue
                buf += _PDF_ESCAPES.get(nxt, nxt)
                j += 2
                continue
            depth += ch == b"("
            depth -= ch == b")"
            if depth:
                buf += ch
            j += 1
        out.append(bytes(buf).decode("cp1252", errors="replace"))
        i = j
    return out


def _pdf_text(name: str, data: bytes) -> str:
    if not data.startswith(b"%PDF"):
        raise AttachmentError(f"{name}: not a PDF file")
    texts = []
    for header, body in _PDF_STREAM.findall(data):
        if b"/FlateDecode" in header:
            try:
                body = zlib.decompress(body)
            except zlib.error:
                continue  # an image or font stream we cannot read is not text
        texts.extend(_pdf_strings(body))
    texts.extend(_pdf_strings(b"".join(re.findall(rb"/(?:Title|Author|Subject)\s*(\(.*?\))", data))))
    return "\n".join(texts)


def png_text(name: str, data: bytes) -> dict[str, str]:
    """The tEXt (and uncompressed iTXt) metadata of a PNG file.

    Raises
    ------
    AttachmentError
        Not a PNG file, or a truncated chunk.
    """
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise AttachmentError(f"{name}: not a PNG file")
    pos, meta = 8, {}
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise AttachmentError(f"{name}: truncated {kind.decode('latin-1')} chunk")
        if kind == b"tEXt" and b"\x00" in body:
            key, value = body.split(b"\x00", 1)
            meta[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt" and b"\x00" in body:
            key, rest = body.split(b"\x00", 1)
            if rest[:1] == b"\x00":  # not compressed
                value = rest[2:].split(b"\x00", 2)[-1]
                meta[key.decode("utf-8")] = value.decode("utf-8", errors="replace")
        pos += 12 + length
    return meta


def extract_text(name: str, data: bytes) -> str:
    """All the readable text of an attachment, chosen by the extension of ``name``.

    Raises
    ------
    AttachmentError
        An unknown extension or a file that is not what its extension says.
    """
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _decode(data)
    if suffix in HTML_SUFFIXES:
        return html.unescape(_TAG.sub(" ", _decode(data)))
    if suffix in {".odt", ".ods", ".odp"}:
        return _office_text(name, data, _ODF_PARTS)
    if suffix == ".docx":
        return _office_text(name, data, _DOCX_PARTS)
    if suffix == ".xlsx":
        return _office_text(name, data, _XLSX_PARTS)
    if suffix == ".pdf":
        return _pdf_text(name, data)
    if suffix == ".png":
        return "\n".join(f"{k}: {v}" for k, v in png_text(name, data).items())
    if suffix == ".zip":
        with _zip_members(name, data) as zf:
            parts = []
            for member in sorted(zf.namelist()):
                parts.append(member)
                if not member.endswith("/") and PurePosixPath(member).suffix.lower() in _READABLE:
                    parts.append(extract_text(member, zf.read(member)))
            return "\n".join(parts)
    raise AttachmentError(f"{name}: cannot extract text from '{suffix}' files")


_READABLE = TEXT_SUFFIXES | HTML_SUFFIXES | {".odt", ".ods", ".odp", ".docx", ".xlsx", ".pdf", ".png", ".zip"}


def zip_member(name: str, data: bytes, member: str) -> bytes:
    """The bytes of ``member`` inside the ZIP archive ``name``.

    Raises
    ------
    AttachmentError
        Not a ZIP archive, or no such member.
    """
    with _zip_members(name, data) as zf:
        try:
            return zf.read(member)
        except KeyError as exc:
            raise AttachmentError(f"{name}: no member {member!r}") from exc


def csv_rows(name: str, data: bytes) -> list[dict[str, str]]:
    """The rows of a CSV file as dicts keyed by the header (``;`` or ``,`` separated).

    Raises
    ------
    AttachmentError
        No header row.
    """
    text = _decode(data)
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise AttachmentError(f"{name}: the CSV file is empty")
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    if delimiter == "," and "\t" in first:
        delimiter = "\t"
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
