"""Attachments that fail every way a real site's files do: the notice is still stored and alerts
exactly once, the failure is recorded on the attachment, and nothing crashes or waits past the
fetcher's deadlines."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from monitor.catalog import Source
from monitor.db import make_engine, session_scope
from monitor.fetch import Fetcher
from monitor.models import Alert, Document
from monitor.pipeline import PollContext, poll
from monitor.settings import AttachmentsConfig, HttpConfig, RouteConfig, Settings
from support.badsite import Answer, gzip_bomb, html
from support.faultsites import app_article, article_html, catalog_entry, listing_html, quiet_scripted
from support.files import html_error_page, zip_bomb

GROUP = "attachments"
pytestmark = pytest.mark.timeout(120)
CAP = 200_000
PDF = {"Content-Type": "application/pdf"}
FAULTS: dict[str, tuple[Answer, str]] = {  # scenario → (the attachment's answer, what its error says)
    "hangs": (Answer(200, b"%PDF-1.7", PDF, delay=4.0), "timed out"),
    "resets mid-body": (Answer(200, b"%PDF-1.7\n" + b"x" * 5000, PDF, reset_after=100), "body unreadable"),
    "drips": (Answer(200, b"%PDF-1.7\n" + b"x" * 400, PDF, drip=0.02), "slow drip"),
    "is a gzip bomb": (gzip_bomb(CAP * 20), "larger than the"),
    "answers 503": (Answer(503, b"busy", {"Content-Type": "text/plain"}), "HTTP 503"),
    "declares too many bytes": (Answer(200, b"%PDF", {**PDF, "Content-Length": str(CAP * 5)}), "over the"),
    "is an HTML page": (html(html_error_page().decode()), "not a PDF: the server sent an HTML page"),
    "is a zip bomb": (Answer(200, zip_bomb(8 * 1024 * 1024), {"Content-Type": "application/zip"}), "zip bomb"),
    "is a broken PDF": (Answer(200, b"%PDF-1.7\n1 0 obj << /Type /Catalog", PDF), "unreadable pdf"),
}


def routes_for(names: list[str]) -> dict[str, Answer]:
    routes: dict[str, Answer] = {}
    for n, name in enumerate(names):
        column = f"c{n}"
        article = app_article(column, "a1", n + 1)
        link = f'<p><a href="/{column}/file.pdf">附件1：名单.pdf</a></p>'
        routes[f"/{column}/"] = html(listing_html([article]))
        routes[article.path] = html(article_html(article, body_extra=link))
        routes[f"/{column}/file.pdf"] = FAULTS[name][0]
    return routes


def test_failing_attachments_lose_nothing_and_alert_once(tmp_path: Path, database_url: str, faults) -> None:
    names = list(FAULTS)
    http = HttpConfig(min_delay=0, retries=0, connect_timeout=1, read_timeout=1, max_bytes=CAP)
    settings = Settings(database_url=database_url, http=http,
                        attachments=AttachmentsConfig(max_unpacked=4 * 1024 * 1024))
    route = RouteConfig(name="apps", labels=["app_governance"], notify=["ops"])
    ctx = PollContext(engine=make_engine(database_url), fetcher=Fetcher(http), routes=[route], settings=settings)
    with quiet_scripted(routes_for(names)) as server:
        sources = [Source.model_validate(catalog_entry(f"att-{n}", name, f"{server.base}/c{n}/"))
                   for n, name in enumerate(names)]
        for n, (name, source) in enumerate(zip(names, sources, strict=True)):
            with faults.scenario(GROUP, f"an attachment that {name}") as s:
                started = time.monotonic()
                first, again = poll(source, ctx), poll(source, ctx)
                elapsed = time.monotonic() - started
                doc, alerts = stored(ctx, source.id)
                s.lost = 0 if doc is not None else 1
                s.duplicates = max(0, alerts - 1)
                assert first.outcome.ok and again.outcome.ok, (first.outcome, again.outcome)
                assert doc is not None and alerts == 1
                error = doc.attachments[0]["error"] or ""
                assert FAULTS[name][1] in error, error
                assert elapsed < 8, f"the poll waited {elapsed:.1f}s"
                assert len(server.hits(f"/c{n}/file.pdf")) == 1  # one request, never again on the re-poll
                s.outcome = f"stored, 1 alert, error: {error[:70]}"
    ctx.fetcher.close()
    faults.settle(GROUP)


def stored(ctx: PollContext, source_id: str) -> tuple[Document | None, int]:
    with session_scope(ctx.engine) as session:
        doc = session.exec(select(Document).where(Document.source_id == source_id)).first()
        if doc is not None:
            session.expunge(doc)
        alerts = session.exec(select(func.count()).select_from(Alert)
                              .where(col(Alert.source_id) == source_id, col(Alert.item_id).is_not(None))).one()
    return doc, alerts

