"""The built-in catalog (YAML, one file per authority) and small site modules for pages selectors cannot handle.

MODULES is the explicit registry of site modules a catalog entry may name with `module:`. A module
provides `links(text, url, source) -> list[Link]` and optionally `page_url(source, n) -> str`.
"""

from sources import docwrite, gkmlpt

MODULES = {"docwrite": docwrite, "gkmlpt": gkmlpt}
