"""Benchmark of automatic list detection: CPU per list page, against parsing alone and the selectors.

Reads the detection fixture pages (tests/fixtures/detect) and a generated 20 KB column page with 300
menu links, a dated side box and 20 entries, and prints per page the milliseconds of CPU for parsing,
for the entry's selectors (the trs preset) and for detection; the last line is the median figure
detection adds to a changed page over the selectors: "detection adds N ms/page". A 304 answer is
never parsed, so detection adds nothing to it.

    .venv/bin/python bench/detect.py [--rounds 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.catalog import Source
from monitor.charset import decode_html
from monitor.listdetect import detect_links
from monitor.listing import html_links, page_tree

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "detect"
URL = "https://jyt.example.gov.cn/zwgk/tzgg/"


def generated_page() -> str:
    menu = "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(300))
    rows = "".join(f'<li><a href="./202611/t2026112{i % 10}_{i}.html" title="关于开展第{i}批教育信息化试点工作的通知">'
                   f"关于开展第{i}批教育信息化…</a><span>2026-11-{i % 28 + 1:02d}</span></li>" for i in range(20))
    side = "".join(f'<li><a href="/x/{i}.html">全省教育工作动态第{i}期新闻报道</a><span>11-{i % 28 + 1:02d}</span></li>'
                   for i in range(30))
    return (f"<html><body><ul class=nav>{menu}</ul><div class=main><ul id=list>{rows}</ul><div class=page>下一页</div>"
            f"</div><div class=side><h3>热点</h3><ul>{side}</ul></div><div class=footer>版权所有</div></body></html>")


def cpu_ms(work: Callable[[], object], rounds: int) -> float:
    work()
    start = time.process_time()
    for _ in range(rounds):
        work()
    return (time.process_time() - start) / rounds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    selectors = Source.model_validate({"id": "b", "name": "b", "region": "全国", "url": URL, "preset": "trs"}).list
    pages = {p.name: decode_html(p.read_bytes()) for p in sorted(FIXTURES.glob("*.html"))}
    pages["generated-20kb"] = generated_page()
    added = []
    print(f"{'page':28s} {'KB':>5s} {'parse':>7s} {'selectors':>10s} {'detect':>7s}  (ms CPU)")
    for name, text in pages.items():
        parse = cpu_ms(lambda text=text: page_tree(text, URL), args.rounds)
        select = cpu_ms(lambda text=text: html_links(text, URL, selectors), args.rounds)
        detect = cpu_ms(lambda text=text: detect_links(text, URL), args.rounds)
        added.append(detect - select)
        print(f"{name:28s} {len(text.encode()) / 1024:5.1f} {parse:7.2f} {select:10.2f} {detect:7.2f}")
    print(f"detection adds {statistics.median(added):.2f} ms/page (median), {max(added):.2f} ms at most")


if __name__ == "__main__":
    main()
