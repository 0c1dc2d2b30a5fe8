"""Bytes → text for government pages: a BOM, the HTTP header, <meta charset>/http-equiv, then detection.

GB2312 and GBK labels are read as GB18030 (a superset), because pages labelled gb2312 routinely
contain characters outside it. A label that does not decode the bytes is not trusted.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.IGNORECASE)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
              "cp936": "gb18030", "euc-cn": "gb18030", "ascii": "utf-8", "us-ascii": "utf-8",
              "iso-8859-1": "cp1252", "latin-1": "cp1252"}
_WESTERN = {"cp1252", "latin-1", "iso8859-1", "iso8859-15", "windows-1252"}
_NOT_CHARSETS = {"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "unicode_escape",
                 "raw_unicode_escape"}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def canonical(label: str | None) -> str | None:
    """A Python codec name for a charset label, with the Chinese supersets applied; None if unknown
    or not a page charset at all (a label such as 'zlib', 'hex' or 'undefined' names a Python codec
    that would decompress, raise or mangle instead of decoding text)."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        name = codecs.lookup(label).name
        if name in _NOT_CHARSETS or b"<html>".decode(name) != "<html>":
            return None
    except (LookupError, UnicodeError):
        return None
    return _SUPERSETS.get(name, name)


def declared_in_document(data: bytes) -> str | None:
    """The charset a page declares about itself (meta tag or XML declaration) in its first 4 KB."""
    head = data[:4096]
    match = _META.search(head) or _XML_DECL.search(head)
    return match.group(1).decode("ascii", "ignore") if match else None


def _strict(data: bytes, encoding: str | None) -> str | None:
    """The text if every byte decodes; an incomplete character at the very end (a page cut off
    mid-download) is dropped rather than condemning the whole label."""
    if not encoding:
        return None
    try:
        return codecs.getincrementaldecoder(encoding)(errors="strict").decode(data, final=False)
    except (UnicodeError, LookupError):
        return None


def _errors(data: bytes, encoding: str) -> int:
    """How many replacement characters a lenient decode needs (fewer = the likelier charset)."""
    return data.decode(encoding, errors="replace").count("\ufffd")


def _labels(data: bytes, header_charset: str | None, override: str | None) -> list[str]:
    """Charsets to try, in order. The source's override first (an operator's decision). Then UTF-8:
    GB bytes essentially never form valid multi-byte UTF-8, so bytes that do are UTF-8 whatever a
    stale header claims. Then the header and the page's own label (`canonical` drops UTF-16 there:
    a meta that could be read as ASCII is not UTF-16), GB18030, and last single-byte Western labels,
    which on Chinese sites are server defaults, not statements about the page."""
    declared = [e for e in (canonical(header_charset), canonical(declared_in_document(data))) if e]
    ordered = [canonical(override), "utf-8", *[e for e in declared if e not in _WESTERN], "gb18030",
               *[e for e in declared if e in _WESTERN]]
    return list(dict.fromkeys(e for e in ordered if e))


def decode_html(data: bytes, header_charset: str | None = None, override: str | None = None) -> str:
    """Decode a page: a BOM, else the first of `_labels` that decodes every byte, else the one that
    needs the fewest replacements (or, when all are bad, charset_normalizer's guess).

    Never raises: when nothing decodes cleanly the best guess is used with replacement characters,
    so a garbled page still yields text (and a warning upstream) instead of losing the fetch.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    labels = _labels(data, header_charset, override)
    for encoding in labels:
        text = _strict(data, encoding)
        if text is not None:
            return text
    sample = data[:200_000]
    errors, best = min(((_errors(sample, e), e) for e in labels), key=lambda pair: pair[0])
    if errors > max(8, len(sample) // 100):  # more than ~1 % garbage: let the detector have a say
        match = charset_normalizer.from_bytes(sample).best()
        best = (canonical(match.encoding) if match else None) or best
    try:
        return data.decode(best, errors="replace")
    except (LookupError, UnicodeError):  # a detector's codec that cannot even decode leniently
        return data.decode("gb18030", errors="replace")
