"""Attachment bytes → (type, text, error): the format is sniffed from the bytes, never trusted from the
name or Content-Type, then read with a maintained library: pypdfium2, python-docx, openpyxl, xlrd.

Every archive (DOCX, XLSX, OFD and ZIP are all zips) is measured before it is opened: what its
members declare is what zipfile will unpack at most, so a zip bomb stops at `max_unpacked`.
Legacy Word (.doc, .wps) has no maintained pure-Python reader and is recorded as unreadable.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import olefile
import structlog

from monitor.charset import decode_html

log = structlog.get_logger()

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_NAMES = (".txt", ".csv")
_NAMES = {"pdf": "PDF", "docx": "Word", "doc": "Word", "wps": "WPS", "xlsx": "Excel", "xls": "Excel",
          "et": "WPS table", "ofd": "OFD", "zip": "ZIP"}
_OFD_PAGE = re.compile(r"Pages/Page_(\d+)/Content\.xml$", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    max_unpacked: int = 50 * 1024 * 1024  # bytes an archive may unpack to
    max_chars: int = 500_000  # text kept per attachment
    max_pages: int = 300  # PDF pages read


@dataclass
class FileText:
    type: str  # pdf docx xlsx xls doc ofd zip text html unknown
    text: str = ""
    error: str | None = None


class Unreadable(Exception):
    """The file is of a known type but its text cannot be had; the message says why."""


def sniff(data: bytes, name: str = "") -> str:
    """The format the bytes are in, whatever the link called them."""
    head = data[:2048]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(_OLE):
        return _ole_kind(data)
    if re.match(rb"\s*(\xef\xbb\xbf)?\s*<(!doctype|html|head|body|\?xml|script|title)", head, re.IGNORECASE):
        return "html"
    if name.lower().endswith(_TEXT_NAMES) and b"\0" not in head:
        return "text"
    return "unknown"


def _zip_kind(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "unknown"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "ofd" if "OFD.xml" in names else "zip"


def _ole_kind(data: bytes) -> str:
    try:
        with olefile.OleFileIO(data) as ole:
            if ole.exists("WordDocument"):
                return "doc"
            if ole.exists("Workbook") or ole.exists("Book"):
                return "xls"
    except (OSError, ValueError):
        pass
    return "unknown"


def read_file(data: bytes, name: str, limits: Limits = Limits()) -> FileText:
    """Type, text and, when there is no text, why not; never raises."""
    kind = sniff(data, name)
    expected = _expected(name)
    if kind == "html":
        what = _NAMES.get(expected or "", "file")
        return FileText(kind, error=f"not a {what}: the server sent an HTML page")
    reader = _READERS.get(kind)
    if reader is None:
        return FileText(kind, error="unreadable: unrecognised file format")
    try:
        text = reader(data, limits)
    except Unreadable as exc:
        return FileText(kind, error=str(exc))
    except Exception as exc:  # a library choking on a broken or hostile file
        log.warning("attachment.unreadable", kind=kind, error=type(exc).__name__)
        return FileText(kind, error=f"unreadable {kind}: {type(exc).__name__}")
    return FileText(kind, text=_tidy(text)[:limits.max_chars])


def _expected(name: str) -> str | None:
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    return suffix if suffix in _NAMES else None


def _tidy(text: str) -> str:
    lines = (re.sub(r"[ \u3000]+", " ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _guard(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """The archive, once its declared unpacked size is known to be within the cap."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > limits.max_unpacked:
        raise Unreadable(f"zip bomb: unpacks to {unpacked} bytes, over the {limits.max_unpacked}-byte cap")
    return archive


def _pdf(data: bytes, limits: Limits) -> str:
    """Text layers read by PDFium (pypdfium2): five times less CPU than a pure-Python reader on
    a 2 MB list, and no text at all marks a scanned PDF."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise Unreadable(f"unreadable pdf: {exc}") from None
    try:
        pages = len(document)
        parts, size = [], 0
        for index in range(min(pages, limits.max_pages)):
            page = document[index]
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range().replace("\r\n", "\n"))
            textpage.close()
            page.close()
            size += len(parts[-1])
            if size > limits.max_chars:  # the rest would be cut anyway: CPU time stays bounded
                break
    finally:
        document.close()
    text = "\n".join(parts)
    if not text.strip():
        raise Unreadable(f"scanned: no text layer ({pages} page(s) of images)")
    return text


def _docx(data: bytes, limits: Limits) -> str:
    import docx

    _guard(data, limits)
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += ["\t".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


def _xlsx(data: bytes, limits: Limits) -> str:
    import openpyxl

    _guard(data, limits)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return "\n".join(_row_lines(((ws.title, ws.iter_rows(values_only=True)) for ws in book.worksheets), limits))
    finally:
        book.close()


def _xls(data: bytes, limits: Limits) -> str:
    import xlrd

    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    sheets = ((sheet.name, sheet.get_rows()) for sheet in map(book.sheet_by_index, range(book.nsheets)))
    rows = ((name, ([cell.value for cell in row] for row in rows)) for name, rows in sheets)
    return "\n".join(_row_lines(rows, limits))


def _row_lines(sheets: Iterable[tuple[str, Iterable[Sequence[object]]]], limits: Limits) -> list[str]:
    """One line per non-empty row, tab between cells, sheets headed by their names; stops at max_chars."""
    lines, size = [], 0
    for title, rows in sheets:
        lines.append(f"【{title}】")
        for row in rows:
            cells = [_cell(value) for value in row if value not in (None, "")]
            if cells:
                lines.append("\t".join(cells))
                size += len(lines[-1])
            if size > limits.max_chars:
                return lines
    return lines


def _cell(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _legacy_word(data: bytes, limits: Limits) -> str:
    raise Unreadable("unreadable: legacy Word/WPS format (.doc/.wps), no reader installed")


def _plain(data: bytes, limits: Limits) -> str:
    return decode_html(data)  # BOM, then detection: GB18030 text files are common


def _ofd(data: bytes, limits: Limits) -> str:
    from lxml import etree

    archive = _guard(data, limits)
    pages = sorted((int(m.group(1)), n) for n in archive.namelist() if (m := _OFD_PAGE.search(n)))
    lines = []
    for _, name in pages:
        root = etree.fromstring(archive.read(name), etree.XMLParser(resolve_entities=False, no_network=True))
        lines += [el.text or "" for el in root.iter("{*}TextCode")]
    return "\n".join(lines)


def _zip(data: bytes, limits: Limits) -> str:
    """The readable members of an archive, each headed by its name (members that are archives are skipped)."""
    archive = _guard(data, limits)
    parts = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = _member_name(info)
        member = read_file(archive.read(info), name, limits) if _expected(name) != "zip" else None
        if member is not None and member.text and member.type != "zip":
            parts.append(f"【{name}】\n{member.text}")
    return "\n".join(parts)


def _member_name(info: zipfile.ZipInfo) -> str:
    """Archives made on Chinese Windows store GBK names without the UTF-8 flag; zipfile reads them as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


_READERS: dict[str, Callable[[bytes, Limits], str]] = {
    "pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "xls": _xls, "doc": _legacy_word, "ofd": _ofd, "zip": _zip,
    "text": _plain,
}
