"""Text forms for matching: traditional → simplified (OpenCC) and NFKC width folding.

Displayed and stored text keeps its original characters; only comparisons use these forms.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import opencc

# Variant characters OpenCC's t2s leaves alone but that name the same thing.
_VARIANTS = {"陜": "陕", "峯": "峰", "綫": "线", "衞": "卫"}
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def for_matching(text: str) -> str:
    """Simplified, width-folded text of the same length class as the input (idempotent)."""
    if not text:
        return ""
    folded = _folded.get(text)
    if folded is None:
        folded = _fold(text)
        _remember(text, folded)
    return folded


def fold_lines(lines: list[str]) -> list[str]:
    """for_matching of each line; the lines not folded yet go through one conversion together
    (neither NFKC nor OpenCC moves a line break), which is cheaper than one call per line."""
    missing = [line for line in dict.fromkeys(lines) if line and line not in _folded]
    if missing:
        folded = _fold("\n".join(missing)).split("\n")
        if len(folded) != len(missing):  # never seen; folding line by line is always right
            folded = [_fold(line) for line in missing]
        for line, norm in zip(missing, folded, strict=True):
            _remember(line, norm)
    return [for_matching(line) for line in lines]


# Characters NFKC leaves alone and that fill Chinese text: ASCII, CJK ideographs, common punctuation.
_STABLE = "\x00-\x9f\u4e00-\u9fff\u3001\u3002\u3008-\u3011\u3014-\u301b\u2018\u2019\u201c\u201d\u2014\u00b7"
_UNSTABLE = re.compile(f"[^{_STABLE}]")


@lru_cache(maxsize=4096)
def _nfkc_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char)


_COMMON = (("，", ","), ("：", ":"), ("；", ";"), ("（", "("), ("）", ")"), ("！", "!"), ("？", "?"),
           ("\u3000", " "), ("～", "~"), ("％", "%"))


def _nfkc(text: str) -> str:
    """NFKC, computed per character where needed: whole-string NFKC is slow on Chinese text."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    for wide, narrow in _COMMON:  # the full-width punctuation of nearly every line, folded in C
        if wide in text:
            text = text.replace(wide, narrow)
    if unicodedata.is_normalized("NFKC", text):
        return text
    text = _UNSTABLE.sub(lambda m: _nfkc_char(m.group(0)), text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def _fold(text: str) -> str:
    text = _nfkc(text)
    text = _converter().convert(text)
    for variant, standard in _VARIANTS.items():
        if variant in text:
            text = text.replace(variant, standard)
    return text


# A document's lines are folded several times (chrome checks, headings, items): remember short
# ones. Emptied when full rather than kept in LRU order: a document's lines are asked for together.
_CACHED_LEN = 4000
_CACHE_SIZE = 8192
_folded: dict[str, str] = {}


def _remember(text: str, folded: str) -> None:
    if len(text) <= _CACHED_LEN:
        if len(_folded) >= _CACHE_SIZE:
            _folded.clear()
        _folded[text] = folded


def fingerprint(text: str) -> str:
    """A stable hash of the words of a text: equal for republished and traditional copies."""
    words = _NOT_WORD.sub("", for_matching(text))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()
