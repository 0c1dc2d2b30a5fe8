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


def _fold(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):  # the check is much cheaper than normalising
        text = unicodedata.normalize("NFKC", text)
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
