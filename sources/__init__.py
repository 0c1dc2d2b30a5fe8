"""The built-in catalog (YAML, one file per authority) and small site modules for pages selectors cannot handle.

MODULES is the explicit registry of site modules a catalog entry may name with `module:`. A module
provides `links(text, url, source) -> list[Link]` and optionally `page_url(source, n) -> str`.
The modules are imported when MODULES is first asked for: reading the catalog files of this package
(every process does) must not import the list parsers and feedparser behind them.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "MODULES":
        from sources import docwrite, gkmlpt

        return {"docwrite": docwrite, "gkmlpt": gkmlpt}
    raise AttributeError(f"module 'sources' has no attribute {name!r}")
