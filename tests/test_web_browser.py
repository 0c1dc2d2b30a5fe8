"""The web view in a real browser: headless Chromium draws / and an item page at phone and desktop widths.

`python tests/test_web_browser.py docs/web.png` regenerates the screenshot in the docs.
"""

from __future__ import annotations

import json
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from monitor.migrate import upgrade
from support.browser import CHROMIUM, assert_drawn, png_pixels, shoot
from support.webapp import web_app
from support.webdata import catalog, fill, showcase

WIDTHS = {"phone": (390, 1200), "desktop": (1200, 1400)}


def first_item(base: str, label: str) -> int:
    with urllib.request.urlopen(f"{base}/api/items?label={label}") as answer:
        return json.loads(answer.read())["items"][0]["id"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
@pytest.mark.parametrize("device", WIDTHS)
def test_index_and_item_page_are_drawn(device: str, database_url: str, tmp_path: Path) -> None:
    fill(database_url)
    width, height = WIDTHS[device]
    with web_app(database_url, catalog()) as base:
        for path in ("/", f"/items/{first_item(base, 'cybersecurity')}"):
            png = tmp_path / "page.png"
            shoot(base + path, png, width, height)
            got_width, got_height, rows = png_pixels(png.read_bytes())
            assert (got_width, got_height) == (width, height)
            assert_drawn(width, rows)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/web.png")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/web.db"
        upgrade(url)
        showcase(url)
        names = {"hk-jyj": "广东省教育厅 工作简报"}  # the test catalog's odd name is there for the escaping tests
        sources = [s.model_copy(update={"name": names.get(s.id, s.name)}) for s in catalog()]
        with web_app(url, sources) as base:
            shoot(base + "/", target, *WIDTHS["desktop"])
    print(f"wrote {target}")
