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
_VARIANTS = str.maketrans({"陜": "陕", "峯": "峰", "綫": "线", "衞": "卫"})
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def for_matching(text: str) -> str:
    """Simplified, width-folded text of the same length class as the input (idempotent)."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text)
    return _converter().convert(folded).translate(_VARIANTS)


def fingerprint(text: str) -> str:
    """A stable hash of the words of a text: equal for republished and traditional copies."""
    words = _NOT_WORD.sub("", for_matching(text))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()
