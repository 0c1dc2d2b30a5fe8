"""Storage benchmark: insert rate with de-duplication, an indexed item query, one day's digest, and the
web view's queries (filters, a deep page, full-text search, a feed) — at 1M items.

    python bench/store.py                          # SQLite in a temporary folder, 1,000,000 items
    python bench/store.py --backend postgresql     # a throwaway PostgreSQL server (Debian's binaries)
    python bench/store.py --items 100000           # smaller

The de-duplicating insert path (store.save_document: URL check, content hash, item fingerprints,
labels, routing, alert rows) is timed on a sample of documents; the rest of the million is bulk-loaded
so the query and digest timings run against a full-size table.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from monitor.db import make_engine, session_scope  # noqa: E402
from monitor.digest import pending_items  # noqa: E402
from monitor.migrate import upgrade  # noqa: E402
from monitor.models import Alert, Document, Item, ItemLabel, ItemSearch  # noqa: E402
from monitor.render import digest_html  # noqa: E402
from monitor.search import search_body  # noqa: E402
from monitor.settings import RouteConfig  # noqa: E402
from monitor.store import ItemQuery, query_items, save_document  # noqa: E402
from monitor.taxonomy import LABELS  # noqa: E402
from monitor.web.engine import read_only_engine  # noqa: E402
from monitor.web.queries import item_page  # noqa: E402
from support.items import Parsed  # noqa: E402

NOW = datetime.now(UTC)
LABEL_IDS = list(LABELS)
REGIONS = ["全国", "北京", "陕西", "甘肃", "浙江", "广东", "四川", "山东"]
ITEMS_PER_DOC = 20
DIGEST = RouteConfig(name="daily", labelled_only=True, notify=["digest"], mode="digest")


def parsed_items(doc_no: int, rng: random.Random) -> list[Parsed]:
    items = []
    for seq in range(1, ITEMS_PER_DOC + 1):
        labels = rng.sample(LABEL_IDS, rng.randint(0, 3))
        items.append(Parsed(seq, f"第{doc_no}号文件第{seq}项", f"文件{doc_no}的第{seq}项工作内容，涉及{'、'.join(labels)}等方面，"
                            f"共计{rng.randint(1, 9999)}家单位参与。", labels=labels,
                            evidence={lab: ["cue"] for lab in labels}, region=rng.choice(REGIONS)))
    return items


def timed_inserts(engine, docs: int, rng: random.Random) -> float:
    """Documents per second through the real, de-duplicating save path (each doc saved twice)."""
    start = time.perf_counter()
    for n in range(docs):
        for _attempt in range(2):  # the second save is the re-poll: must be a no-op
            doc = Document(source_id="bench", url=f"http://bench.test/{n}.html", title=f"文件{n}",
                           text=f"正文{n}", published_at=NOW, content_hash="")
            with session_scope(engine) as session:
                save_document(session, doc, parsed_items(n, rng), [DIGEST], timedelta(days=7), now=NOW)
    return docs * ITEMS_PER_DOC / (time.perf_counter() - start)


# What a stored document really carries: its text, and for `retention.raw_days` (30) its raw page.
DOC_TEXT = "教育信息化和网络安全工作" * 400  # ~5,000 characters
RAW_HTML = "<div class=TRS_Editor><p>" + DOC_TEXT * 2 + "</p></div>"
RAW_DAYS = 30


def bulk_load(engine, first_doc: int, total_items: int, rng: random.Random) -> None:
    """Fill the tables to full size quickly (core inserts), spread over the last 200 days; documents
    carry report-sized text, and raw HTML for the last 30 days, as a running service keeps them."""
    doc_no, item_id = first_doc, first_doc * ITEMS_PER_DOC + 1
    with engine.begin() as conn:
        while item_id <= total_items:
            docs, items, labels, bodies = [], [], [], []
            for _ in range(500):
                doc_no += 1
                seen = NOW - timedelta(days=200 * (1 - item_id / total_items))
                docs.append({"id": doc_no, "source_id": "bulk", "url": f"http://bulk.test/{doc_no}.html",
                             "title": f"文件{doc_no}", "kind": "article", "text": DOC_TEXT, "content_hash": f"h{doc_no}",
                             "raw_html": RAW_HTML if NOW - seen < timedelta(days=RAW_DAYS) else None,
                             "fetched_at": seen, "published_at": seen, "meta": {}, "attachments": []})
                for seq in range(1, ITEMS_PER_DOC + 1):
                    chosen = rng.sample(LABEL_IDS, rng.randint(0, 3))
                    items.append({"id": item_id, "document_id": doc_no, "seq": seq, "title": f"项{seq}",
                                  "text": "内容", "labels": chosen, "evidence": {}, "region": rng.choice(REGIONS),
                                  "regions_mentioned": [], "figures": [], "doc_titles": [], "redacted": False,
                                  "fingerprint": f"f{item_id}", "first_seen_at": seen})
                    labels += [{"item_id": item_id, "label": lab} for lab in chosen]
                    bodies.append({"item_id": item_id, "body": search_body(f"项{seq}", "内容", f"文件{doc_no}")})
                    item_id += 1
            conn.execute(insert(Document), docs)
            conn.execute(insert(Item), items)
            conn.execute(insert(ItemLabel), labels)
            conn.execute(insert(ItemSearch), bodies)


def queue_digest(engine, count: int) -> None:
    """One day's digest: `count` items waiting in the ledger."""
    with engine.begin() as conn:
        conn.execute(insert(Alert), [{"key": f"bench:{i}", "item_id": i, "route": DIGEST.name, "channel_tag": "digest",
                                      "mode": "digest", "status": "pending", "attempts": 0, "next_attempt_at": NOW,
                                      "created_at": NOW} for i in range(1, count + 1)])


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def web_timings(url: str, total_items: int) -> dict[str, float]:
    """The queries behind /, /api/items and /feed.atom, through the web view's read-only engine."""
    engine = read_only_engine(url)
    deep = (NOW - timedelta(days=100), total_items // 2)  # a cursor halfway back through history
    rare = f"文件{total_items // ITEMS_PER_DOC // 3}"  # one document's title: 20 items
    queries = {
        "/ (newest 50)": ItemQuery(limit=50),
        "/?label=security_incident&region=甘肃": ItemQuery(labels=["security_incident"], regions=["甘肃"], limit=50),
        "/?cursor=<halfway back>": ItemQuery(before=deep, limit=50),
        f"/?q={rare} (rare, trigram)": ItemQuery(text=rare, limit=50),
        "/?q=文件1 (a ninth of all items, trigram)": ItemQuery(text="文件1", limit=50),
        "/?q=内容 (every item, 2 chars: scan)": ItemQuery(text="内容", limit=50),
        "/feed.atom?label=cybersecurity": ItemQuery(labels=["cybersecurity"], limit=50),
    }
    timings = {}
    for name, query in queries.items():
        def run(q: ItemQuery = query) -> None:
            with session_scope(engine) as session:
                item_page(session, q)
        timings[name] = best_of(run)
    engine.dispose()
    return timings


def database(backend: str, folder: Path):
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}", None
    from support.postgres import start_postgres

    server = start_postgres(folder / "pg")
    return server.create_database("bench"), server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--sample-docs", type=int, default=250, help="documents saved through the real insert path")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="edu-monitor-bench-"))
    folder.chmod(0o755)  # the PostgreSQL server runs as its own user
    url, server = database(args.backend, folder)
    try:
        upgrade(url)
        engine = make_engine(url)
        rng = random.Random(7)
        rate = timed_inserts(engine, args.sample_docs, rng)
        bulk_load(engine, args.sample_docs, args.items, rng)
        with engine.begin() as conn:  # planner statistics, as autovacuum (PostgreSQL) or housekeeping (SQLite) keep them
            conn.exec_driver_sql("ANALYZE")
        since = NOW - timedelta(days=1)

        def query() -> None:
            with session_scope(engine) as session:
                query_items(session, ItemQuery(labels=["security_incident"], since=since))

        query_s = best_of(query)
        queue_digest(engine, 5000)
        digest_s = best_of(lambda: digest_html(pending_items(engine, DIGEST, {}), DIGEST.name, since, NOW), runs=3)
        print(f"backend {args.backend}, {args.items:,} items")
        print(f"insert with dedup: {rate:,.0f} items/s ({rate / ITEMS_PER_DOC:,.0f} documents/s, each saved twice)")
        print(f"items --label security_incident --since 1d: {query_s * 1000:.1f} ms")
        print(f"one day's digest (5,000 items) built: {digest_s:.2f} s")
        for name, seconds in web_timings(url, args.items).items():
            print(f"web {name}: {seconds * 1000:.1f} ms")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
