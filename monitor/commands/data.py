"""Commands that read or gather data: poll, parse, items (the catalog's own commands: commands/sources.py)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli import AppContext, cli, exit_without_teardown, fail, pass_app, print_json_line
from monitor.settings import parse_moment


def select_sources(app: AppContext, ids: tuple[str, ...]) -> list[Any]:
    """The named sources (each once, in the order named), or every enabled one."""
    catalog = app.catalog()
    if not ids:
        return [s for s in catalog if s.enabled]
    ids = tuple(dict.fromkeys(ids))
    by_id = {s.id: s for s in catalog}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        fail(f"unknown source id(s): {', '.join(unknown)} (see `edu-monitor sources list`)")
    return [by_id[i] for i in ids]


@cli.command()
@click.argument("source_ids", nargs=-1)
@click.option("--pages", default=1, show_default=True, help="List pages to follow (catch up on older entries).")
@pass_app
def poll(app: AppContext, source_ids: tuple[str, ...], pages: int) -> None:
    """One poll cycle now for the given (or all enabled) sources, then exit.

    Exits 0 when the cycle ran, even if some sites failed (their state and an operator
    alert record that); see `edu-monitor sources list` for each source's health.
    """
    from monitor.fetch import Fetcher

    sources = select_sources(app, source_ids)
    if pages > 1:
        from monitor.listing import page_urls

        for source in sources:
            if len(page_urls(source, 2)) < 2:
                click.echo(f"{source.id}: no pagination rule (catalog key `pagination`), only page 1 is read",
                           err=True)
    fetcher = Fetcher(app.settings.http)
    try:
        results = _poll_cycle(app, sources, fetcher, pages)
    finally:
        fetcher.close()
    if results:  # one write: a flushed line per source cost a warm cycle of 1,000 sources 1,000 writes
        click.echo("\n".join(_result_line(r) for r in results))
    if app.has_engine():
        app.engine.dispose()  # SQLite checkpoints its WAL as the last connection closes
    exit_without_teardown()


def _poll_cycle(app: AppContext, sources: list[Any], fetcher: Any, pages: int) -> list[Any]:
    """Unattended (no terminal for a progress bar) and on SQLite, the warm pass asks the healthy
    lists first without loading the ORM (monitor/sweep.py); the pipeline polls what it leaves."""
    swept = None
    if pages == 1 and not sys.stderr.isatty():
        from monitor.sweep import sweep

        swept = sweep(sources, app.settings.database_url, fetcher, app.settings.workers)
    if swept is None:
        return _pipeline_cycle(app, sources, fetcher, pages)
    if swept.handed:
        rest = _pipeline_cycle(app, swept.handed, fetcher, pages, swept.prefetched)
        swept.results.update((r.source_id, r) for r in rest)
    if swept.unrecorded:
        from monitor.pipeline import record_all

        record_all(_context(app, fetcher), lambda: swept.unrecorded)
    return [swept.results[s.id] for s in sources]


def _context(app: AppContext, fetcher: Any, prefetched: dict[str, Any] | None = None) -> Any:
    from monitor.pipeline import PollContext

    return PollContext(engine=app.engine, fetcher=fetcher, routes=app.routes(), settings=app.settings,
                       prefetched=prefetched or {})


def _pipeline_cycle(app: AppContext, sources: list[Any], fetcher: Any, pages: int,
                    prefetched: dict[str, Any] | None = None) -> list[Any]:
    from monitor.pipeline import poll_many
    from monitor.progress import PollProgress

    with PollProgress(app.engine, [s.id for s in sources]) as progress:
        results = poll_many(sources, _context(app, fetcher, prefetched), pages)
        progress.finish(results)
    return results


def _result_line(r: Any) -> str:
    state = ("drifted" if r.outcome.drifted else "ok") if r.outcome.ok else \
        (r.outcome.blocked and "blocked") or (r.outcome.broken and "broken") or "failed"
    detail = r.outcome.error or r.outcome.blocked or r.outcome.broken or r.outcome.drifted or ""
    return (f"{r.source_id:32s} {state:8s} links={r.links:<4d} new_documents={r.new_documents:<3d} "
            f"new_items={r.new_items:<4d} alerts={r.alerts:<3d}{' not-modified' if r.not_modified else ''}"
            f"{'  ' + detail if detail else ''}")


def _read_document(app: AppContext, file_or_url: str) -> tuple[str, Any]:
    """(text, article) of a .txt/.html file or a URL; article is None for a text file. A URL's
    attachments are fetched and read with the same fetcher; a saved page's links are only listed."""
    if file_or_url.startswith(("http://", "https://")):
        from monitor.attachments import read_attachments
        from monitor.fetch import Fetcher

        fetcher = Fetcher(app.settings.http)
        try:
            page = fetcher.get(file_or_url)
            if page.blocked:
                fail(f"{file_or_url}: blocked by the site ({page.blocked})")
            article = _extract(page.text or "", page.url)
            from monitor.catalog import Source  # the page is the origin the SSRF guard measures links by

            files = read_attachments(article.attachments, fetcher, Source.adhoc(page.url), app.settings.attachments)
        finally:
            fetcher.close()
        if files is not None:
            article.attachments = [f.summary() for f in files]
        return article.text, article
    path = Path(file_or_url)
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")
    from monitor.charset import decode_html  # saved pages and text files come in GB18030 too

    if path.suffix.lower() not in {".html", ".htm", ".shtml"}:
        return decode_html(data), None
    article = _extract(decode_html(data), path.resolve().as_uri())
    return article.text, article


def _extract(html: str, url: str) -> Any:
    from monitor import extract
    from monitor.catalog import Source

    return extract.extract_article(html, url, Source.adhoc(url), None)


@cli.command()
@click.argument("file_or_url")
@click.option("--json", "as_json", is_flag=True, help="Print the parse result as one JSON object.")
@pass_app
def parse(app: AppContext, file_or_url: str, as_json: bool) -> None:
    """Extract, segment, enrich and classify one document (no database); a URL's attachments are read too."""
    from monitor.understand import understand

    text, article = _read_document(app, file_or_url)
    published = article.published_at.date() if article and article.published_at else None
    parsed = understand(text, title=article.title if article else None, published=published,
                        table=article.meta if article else None)
    parsed.attachments = article.attachments if article else []
    if as_json:
        print_json_line(parsed.to_json())
        return
    click.echo(f"{parsed.title}\n{parsed.kind}  period={parsed.period}  region={parsed.region}  "
               f"items={len(parsed.items)}")
    _show_document_fields(parsed)
    for item in parsed.items:
        when = item.date + (f"..{item.date_end}" if item.date_end else "") if item.date else ""
        click.echo(f"{item.seq:3d}. [{item.section or '-'}] {item.title[:40]}")
        click.echo(f"     labels={','.join(item.labels) or '-'} region={item.region or '-'} {when}"
                   f"{'  (redacted)' if item.redacted else ''}")


def _show_document_fields(parsed: Any) -> None:
    """文号, issuer, signing day, deadlines and attachments, where the document has them."""
    for label, value in (("doc_number", parsed.doc_number), ("issuer", parsed.issuer),
                         ("signed_at", parsed.signed_at)):
        if value:
            click.echo(f"{label}: {value}")
    for deadline in parsed.deadlines:
        click.echo(f"deadline: {deadline['date']}  {deadline['text']}")
    for att in parsed.attachments:
        state = att.get("error") or (f"{att.get('type')}, {att.get('chars')} chars" if att.get("type") else "not fetched")
        click.echo(f"attachment: {att.get('name')}  ({state})  {att.get('url')}")
    click.echo("")


def parse_since(value: str | None) -> dt.datetime | None:
    """'2024-05-01' (a UTC day) or a duration like '7d' (before now) → aware UTC timestamp."""
    if not value:
        return None
    try:
        return parse_moment(value, dt.datetime.now(dt.UTC))
    except ValueError as exc:
        fail(f"--since: {exc}")


@cli.command()
@click.option("--label", "labels", multiple=True, help="Only items with this label (repeatable: any).")
@click.option("--region", "regions", multiple=True, help="Only items of this region (repeatable).")
@click.option("--source", "sources", multiple=True, help="Only items of this source id (repeatable).")
@click.option("--since", help="Only items first seen since this date (YYYY-MM-DD) or duration (e.g. 7d).")
@click.option("--limit", type=int, default=None, help="At most N items (default: all).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--attachments-text", "attachment_text", is_flag=True,
              help="Print the text read from the listed items' attachments (once per document), for reading.")
@pass_app
def items(app: AppContext, labels: tuple[str, ...], regions: tuple[str, ...], sources: tuple[str, ...],
          since: str | None, limit: int | None, as_json: bool, attachment_text: bool) -> None:
    """Stored items, newest first."""
    from monitor.db import session_scope
    from monitor.store import ItemQuery, item_json, query_items

    query = ItemQuery(labels=labels, regions=regions, sources=sources, since=parse_since(since), limit=limit)
    with session_scope(app.engine) as session:
        rows = query_items(session, query)
    if attachment_text:
        _show_attachment_texts(app, rows)
        return
    for item, doc in rows:
        if as_json:
            print_json_line(item_json(item, doc))
        else:
            click.echo(f"{item.first_seen_at:%Y-%m-%d} {item.region or '-':4s} {','.join(item.labels) or '-':40s} "
                       f"{item.title[:30]}  {doc.url}")
    if not as_json:
        click.echo(f"{len(rows)} item(s)", err=True)


def _show_attachment_texts(app: AppContext, rows: list[Any]) -> None:
    """Each listed document's attachments with the text read from them (or why there is none)."""
    from monitor.db import session_scope
    from monitor.itemquery import attachment_texts

    docs = list({doc.id: doc for _, doc in rows}.values())
    with session_scope(app.engine) as session:
        texts = attachment_texts(session, [doc.id for doc in docs])
    for doc in docs:
        for seq, att in enumerate(doc.attachments):
            click.echo(f"== {doc.title} · {att.get('name')} ({att.get('error') or att.get('type')})\n{doc.url}")
            click.echo((texts.get((doc.id, seq)) or "") + "\n")
