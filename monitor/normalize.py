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
    if len(text) <= _CACHED_LEN:
        return _fold_cached(text)
    return _fold(text)


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


# A document's lines are folded several times (chrome checks, headings, items): remember short ones.
_CACHED_LEN = 4000
_fold_cached = lru_cache(maxsize=8192)(_fold)


def fingerprint(text: str) -> str:
    """A stable hash of the words of a text: equal for republished and traditional copies."""
    words = _NOT_WORD.sub("", for_matching(text))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()
