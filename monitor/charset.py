"""Bytes → text for government pages: the HTTP header, then <meta charset>/http-equiv, then detection.

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


def canonical(label: str | None) -> str | None:
    """A Python codec name for a charset label, with the Chinese supersets applied; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def declared_in_document(data: bytes) -> str | None:
    """The charset a page declares about itself (meta tag or XML declaration) in its first 4 KB."""
    head = data[:4096]
    match = _META.search(head) or _XML_DECL.search(head)
    return match.group(1).decode("ascii", "ignore") if match else None


def _strict(data: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes, header_charset: str | None = None, override: str | None = None) -> str:
    """Decode a page: a source's override, a BOM, the header, the document's own label, then detection.

    Never raises: when nothing decodes cleanly the best guess is used with replacement characters,
    so a garbled page still yields text (and a warning upstream) instead of losing the fetch.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    candidates = [canonical(override), canonical(header_charset), canonical(declared_in_document(data))]
    for encoding in candidates:
        text = _strict(data, encoding)
        if text is not None:
            return text
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    guess = canonical(best.encoding) if best else None
    fallback = next((e for e in candidates if e), None) or guess or "gb18030"
    return data.decode(guess or fallback, errors="replace")
