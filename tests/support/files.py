"""Attachment files written in the test itself: DOCX and XLSX through python-docx and openpyxl, PDFs
built here (a text layer in any script via a CID font with a ToUnicode map, or only an image, like a
scan), and the hostile ones: an HTML error page named .pdf, a zip bomb, an oversized file."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import docx
import openpyxl


def docx_bytes(paragraphs: Sequence[str], table: Sequence[Sequence[str]] = ()) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(rows: Sequence[Sequence[object]], sheet: str = "名单") -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (1 = catalog), with a correct cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _to_unicode(chars: set[str]) -> bytes:
    """A ToUnicode map of the glyphs used (as a subset font's is): glyph id = code point."""
    codes = sorted(f"<{ord(c):04X}>".encode() for c in chars if ord(c) <= 0xFFFF)
    blocks = [codes[n:n + 100] for n in range(0, len(codes), 100)]  # at most 100 entries per block
    body = b"".join(b"%d beginbfchar\n" % len(block) + b"".join(b"%s %s\n" % (c, c) for c in block) + b"endbfchar\n"
                    for block in blocks)
    return (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n" + body +
            b"endcmap CMapName currentdict /CMap defineresource pop end end")


def pdf_bytes(lines: Sequence[str], per_page: int = 40) -> bytes:
    """Pages whose text layer holds `lines` (glyph ids = Unicode code points, mapped back by ToUnicode)."""
    chunks = [lines[n:n + per_page] for n in range(0, len(lines), per_page)] or [[]]
    kids = b" ".join(b"%d 0 R" % (6 + 2 * n) for n in range(len(chunks)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(chunks)),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        _stream(_to_unicode(set("".join(lines)))),
    ]
    for n, chunk in enumerate(chunks):
        shown = b"".join(b"<%s> Tj 0 -20 Td\n" % line.encode("utf-16-be").hex().encode() for line in chunk)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       b"/Contents %d 0 R >>" % (7 + 2 * n))
        objects.append(_stream(b"BT /F1 12 Tf 50 780 Td\n" + shown + b"ET"))
    return _pdf(objects)


def scanned_pdf_bytes(pages: int = 2) -> bytes:
    """Pages that only paint an image (a grey square), like a scanner's output: no text layer."""
    kids = b" ".join(b"%d 0 R" % (3 + 2 * n) for n in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages)]
    for n in range(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>" % (4 + 2 * n))
        objects.append(_stream(b"q 500 0 0 700 40 70 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x80\x40\x40\x80 EI Q"))
    return _pdf(objects)


def html_error_page() -> bytes:
    return "<!DOCTYPE html><html><head><title>404</title></head><body>您访问的页面不存在</body></html>".encode()


def zip_bomb(unpacked: int) -> bytes:
    """A small zip that declares, and really unpacks to, `unpacked` bytes of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("名单.txt", b"\0" * unpacked)
    return out.getvalue()


def ofd_bytes(pages: Sequence[Sequence[str]]) -> bytes:
    """An OFD (GB/T 33190) package: OFD.xml, and per page a Content.xml whose TextCode elements hold the lines."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", f"<ofd:OFD {ns} Version=\"1.0\"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml"
                                    "</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        for number, lines in enumerate(pages):
            codes = "".join(f'<ofd:TextObject ID="{n}"><ofd:TextCode X="0" Y="{n * 5}">{line}</ofd:TextCode>'
                            "</ofd:TextObject>" for n, line in enumerate(lines))
            archive.writestr(f"Doc_0/Pages/Page_{number}/Content.xml",
                             f"<ofd:Page {ns}><ofd:Content><ofd:Layer>{codes}</ofd:Layer></ofd:Content></ofd:Page>")
    return out.getvalue()
