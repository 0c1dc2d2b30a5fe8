"""Commands that read or gather data: poll, parse, items, sources."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli import AppContext, cli, fail, pass_app, print_json_line
from monitor.settings import parse_moment


def _select_sources(app: AppContext, ids: tuple[str, ...]) -> list[Any]:
    catalog = app.catalog()
    if not ids:
        return [s for s in catalog if s.enabled]
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
    from monitor.pipeline import PollContext, poll_many

    sources = _select_sources(app, source_ids)
    if pages > 1:
        from monitor.listing import page_urls

        for source in sources:
            if len(page_urls(source, 2)) < 2:
                click.echo(f"{source.id}: no pagination rule (catalog key `pagination`), only page 1 is read",
                           err=True)
    fetcher = Fetcher(app.settings.http)
    ctx = PollContext(engine=app.engine, fetcher=fetcher, routes=app.routes(), settings=app.settings)
    try:
        results = poll_many(sources, ctx, pages)
    finally:
        fetcher.close()
    for r in results:
        state = "ok" if r.outcome.ok else (r.outcome.blocked and "blocked") or (r.outcome.broken and "broken") or "failed"
        detail = r.outcome.error or r.outcome.blocked or r.outcome.broken or ""
        click.echo(f"{r.source_id:32s} {state:8s} links={r.links:<4d} new_documents={r.new_documents:<3d} "
                   f"new_items={r.new_items:<4d} alerts={r.alerts:<3d}{' not-modified' if r.not_modified else ''}"
                   f"{'  ' + detail if detail else ''}")


def _read_document(app: AppContext, file_or_url: str) -> tuple[str, str | None, str | None]:
    """(text, title, region) of a .txt/.html file or a URL."""
    if file_or_url.startswith(("http://", "https://")):
        from monitor.fetch import Fetcher

        fetcher = Fetcher(app.settings.http)
        try:
            page = fetcher.get(file_or_url)
        finally:
            fetcher.close()
        if page.blocked:
            fail(f"{file_or_url}: blocked by the site ({page.blocked})")
        html, url = page.text or "", page.url
    else:
        path = Path(file_or_url)
        try:
            data = path.read_bytes()
        except OSError as exc:
            fail(f"{path}: {exc.strerror}")
        from monitor.charset import decode_html  # saved pages and text files come in GB18030 too

        if path.suffix.lower() not in {".html", ".htm", ".shtml"}:
            return decode_html(data), None, None
        html, url = decode_html(data), path.resolve().as_uri()
    from monitor import extract
    from monitor.catalog import Source

    article = extract.extract_article(html, url, Source.adhoc(url), None)
    return article.text, article.title, None


@cli.command()
@click.argument("file_or_url")
@click.option("--json", "as_json", is_flag=True, help="Print the parse result as one JSON object.")
@pass_app
def parse(app: AppContext, file_or_url: str, as_json: bool) -> None:
    """Extract, segment, enrich and classify one document (no database)."""
    from monitor.understand import understand

    text, title, region = _read_document(app, file_or_url)
    parsed = understand(text, title=title, region=region)
    if as_json:
        print_json_line(parsed.to_json())
        return
    click.echo(f"{parsed.title}\n{parsed.kind}  period={parsed.period}  region={parsed.region}  "
               f"items={len(parsed.items)}\n")
    for item in parsed.items:
        when = item.date + (f"..{item.date_end}" if item.date_end else "") if item.date else ""
        click.echo(f"{item.seq:3d}. [{item.section or '-'}] {item.title[:40]}")
        click.echo(f"     labels={','.join(item.labels) or '-'} region={item.region or '-'} {when}"
                   f"{'  (redacted)' if item.redacted else ''}")


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
@pass_app
def items(app: AppContext, labels: tuple[str, ...], regions: tuple[str, ...], sources: tuple[str, ...],
          since: str | None, limit: int | None, as_json: bool) -> None:
    """Stored items, newest first."""
    from monitor.db import session_scope
    from monitor.store import ItemQuery, item_json, query_items

    query = ItemQuery(labels=labels, regions=regions, sources=sources, since=parse_since(since), limit=limit)
    with session_scope(app.engine) as session:
        rows = query_items(session, query)
    for item, doc in rows:
        if as_json:
            print_json_line(item_json(item, doc))
        else:
            click.echo(f"{item.first_seen_at:%Y-%m-%d} {item.region or '-':4s} {','.join(item.labels) or '-':40s} "
                       f"{item.title[:30]}  {doc.url}")
    if not as_json:
        click.echo(f"{len(rows)} item(s)", err=True)


@cli.group(invoke_without_command=True)
@click.pass_context
def sources(ctx: click.Context) -> None:
    """The source catalog: list it, or check one source live."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(sources_list)


@sources.command("list")
@pass_app
def sources_list(app: AppContext) -> None:
    """List the catalog's sources with their health."""
    from sqlmodel import select

    from monitor.db import session_scope
    from monitor.models import SourceState
    from monitor.store import given_up_counts

    states: dict[str, Any] = {}
    given_up: dict[str, int] = {}
    try:
        with session_scope(app.engine) as session:
            states = {s.source_id: s for s in session.exec(select(SourceState)).all()}
        with session_scope(app.engine) as session:
            given_up = given_up_counts(session)
    except Exception:  # no database yet, or not upgraded yet: the catalog is still worth listing
        pass
    for s in app.catalog():
        click.echo(f"{s.id:32s} {s.region:4s} {s.kind:4s} {s.preset or '-':7s} every {s.every}  "
                   f"{'' if s.enabled else '[disabled] '}{_health(states.get(s.id), given_up.get(s.id, 0))}  {s.name}")


def _health(state: Any, given_up: int) -> str:
    """One source's health in a few words: status, last success, and what went wrong."""
    if state is None:
        return "never polled"
    words = [state.status]
    if state.last_success_at:
        words.append(f"last ok {state.last_success_at:%Y-%m-%d %H:%M}")
    if state.consecutive_failures:
        words.append(f"{state.consecutive_failures} failed poll(s)")
    if state.blocked_reason:
        words.append(f"blocked: {state.blocked_reason}")
    elif state.last_error and state.status != "ok":
        words.append(f"last error: {state.last_error[:100]}")
    if given_up:
        words.append(f"{given_up} dead article link(s) given up")
    return f"{words[0]} ({', '.join(words[1:])})" if len(words) > 1 else words[0]


@sources.command("check")
@click.argument("source_id")
@pass_app
def sources_check(app: AppContext, source_id: str) -> None:
    """Fetch a source live and show what it would yield (stores nothing)."""
    from monitor import extract, listing
    from monitor.fetch import Fetcher, FetchError

    (source,) = _select_sources(app, (source_id,))
    fetcher = Fetcher(app.settings.http)
    try:
        page = fetcher.get(source.url, source=source)
        if page.blocked:
            fail(f"{source.id}: blocked ({page.blocked})")
        links = listing.links_for(page, source)
        click.echo(f"{source.id}: {len(links)} link(s) from {page.url} (min_links {source.min_links})")
        for link in links:
            click.echo(f"  {link.date or '----------'}  {link.title[:50]}  {link.url}")
        if links:
            page = fetcher.get(links[0].url, source=source)
            article = extract.extract_article(page.text or "", page.url, source, links[0])
            _show_article(article)
    except FetchError as exc:
        fail(f"{source.id}: {exc}")
    finally:
        fetcher.close()
    if len(links) < source.min_links:
        sys.exit(1)


def _show_article(article: Any) -> None:
    click.echo("\nfirst article:")
    click.echo(f"  title:        {article.title}")
    click.echo(f"  published_at: {article.published_at}")
    click.echo(f"  publisher:    {article.publisher}")
    for key, value in article.meta.items():
        click.echo(f"  meta {key}: {value}")
    for att in article.attachments:
        click.echo(f"  attachment:   {att.get('name')}  {att.get('url')}")
    click.echo(f"  text ({len(article.text)} chars):\n    " + article.text[:600].replace("\n", "\n    "))
