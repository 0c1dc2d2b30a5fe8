"""List pages whose entries are written by document.write() in inline scripts (Hunan's TRS columns).

The page is rendered the way a browser would for the simple cases such templates use: each
<script> is replaced by what it writes, where the written value is a concatenation of string
literals and of variables assigned string literals earlier on the page. Anything more dynamic
is left out (a call whose value cannot be worked out writes nothing), then the source's list
selectors read the result like any static page.
"""

from __future__ import annotations

import re
from typing import Any

from monitor.listing import Link, html_links

_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
_STEP = re.compile(r"(?<![\w$.])([A-Za-z_$][\w$]*)\s*=\s*(?=['\"\w$])|document\.write(?:ln)?\s*\(")
_TOKEN = re.compile(r"""\s*(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|([A-Za-z_$][\w$]*))\s*""", re.DOTALL)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(literal: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE.get(code, code)  # \' \" \\ \/ and unknown escapes stand for the character

    return _ESCAPE.sub(one, literal)


def _value(script: str, pos: int, names: dict[str, str]) -> tuple[str | None, int]:
    """The string a `'a' + b + "c"` expression starting at `pos` builds, and where it ends."""
    parts = []
    while True:
        m = _TOKEN.match(script, pos)
        if m is None:
            return None, pos
        if m.group(3) is not None:
            if m.group(3) not in names:
                return None, pos
            parts.append(names[m.group(3)])
        else:
            parts.append(_unescape(m.group(1) if m.group(1) is not None else m.group(2)))
        pos = m.end()
        if not script.startswith("+", pos):
            return "".join(parts), pos
        pos += 1


def _written(script: str, names: dict[str, str]) -> str:
    """What one script writes; string variables it assigns are remembered for later scripts.

    The scan resumes after each value it read, so text inside a string literal (`title='…'` in
    written HTML) is never taken for an assignment.
    """
    out, pos = [], 0
    while (m := _STEP.search(script, pos)) is not None:
        value, end = _value(script, m.end(), names)
        pos = max(end, m.end())
        if value is None:
            continue
        if m.group(1):
            names[m.group(1)] = value
        elif script[end:end + 1] == ")":
            out.append(value)
    return "".join(out)


def render(text: str) -> str:
    """The page with every inline script replaced by the HTML it writes."""
    names: dict[str, str] = {}
    return _SCRIPT.sub(lambda m: _written(m.group(1), names), text)


def links(text: str, url: str, source: Any) -> list[Link]:
    return html_links(render(text), url, source.list)
