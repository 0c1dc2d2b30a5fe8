"""`edu-monitor sources`: list the catalog with each source's health, or check a source (or any list
URL, read by automatic detection) live."""

from __future__ import annotations

import re
import sys
from typing import Any
from urllib.parse import urlsplit

import click

from monitor.cli import AppContext, cli, fail, pass_app, print_json_line
from monitor.commands.data import select_sources
from monitor.sourceview import source_json


@cli.group(invoke_without_command=True)
@click.pass_context
def sources(ctx: click.Context) -> None:
    """The source catalog: list it, or check one source live."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(sources_list)


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source and line.")
@pass_app
def sources_list(app: AppContext, as_json: bool) -> None:
    """List the catalog's sources with their health and publishing rhythm."""
    catalog = app.catalog()
    states, given_up, rhythms = _health_rows(app, [s.id for s in catalog])
    for s in catalog:
        state, rhythm = states.get(s.id), rhythms.get(s.id)
        if as_json:
            print_json_line({**source_json(s, state, given_up.get(s.id, 0)),
                             "cadence": rhythm.as_json() if rhythm else None})
            continue
        click.echo(f"{s.id:32s} {s.region:4s} {s.kind:4s} {s.preset or '-':7s} every {s.every}  "
                   f"{'' if s.enabled else '[disabled] '}{_health(state, given_up.get(s.id, 0))}"
                   f"{_rhythm(rhythm)}  {s.name}")


def _health_rows(app: AppContext, source_ids: list[str]) -> tuple[dict[str, Any], dict[str, int], dict[str, Any]]:
    """SourceState rows by id, dead-link counts and publishing rhythms; empty when there is no
    (upgraded) database yet: the catalog is still worth listing."""
    from sqlmodel import select

    from monitor.cadence import source_cadence
    from monitor.db import session_scope
    from monitor.models import SourceState
    from monitor.store import given_up_counts

    try:
        with session_scope(app.engine) as session:
            states = {s.source_id: s for s in session.exec(select(SourceState)).all()}
            given_up = given_up_counts(session)
            for state in states.values():
                session.expunge(state)
        rhythms = source_cadence(app.engine, source_ids, app.settings.timezone)
    except Exception:
        return {}, {}, {}
    return states, given_up, rhythms


def _rhythm(cadence: Any) -> str:
    """The publishing rhythm in a few words, when there is history enough to have one."""
    if cadence is None or cadence.usual_gap_days is None:
        return ""
    if cadence.quiet:
        return f"  QUIET {cadence.quiet_days}d (usually every {cadence.usual_gap_days:g}d)"
    return f"  publishes every ~{cadence.usual_gap_days:g}d"


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
@click.argument("id_or_url")
@click.option("--json", "as_json", is_flag=True, help='One JSON object: {"url", "method", "links": [...]}.')
@pass_app
def sources_check(app: AppContext, id_or_url: str, as_json: bool) -> None:
    """Fetch a source, or any list page URL, live and show what it would yield (stores nothing).

    A URL that is no catalog entry is read by automatic list detection, and a catalog entry
    for it is suggested. Exits 1 when fewer links than the entry's min_links are found."""
    from monitor import listing
    from monitor.fetch import Fetcher, FetchError

    source, adhoc = _source_to_check(app, id_or_url)
    fetcher = Fetcher(app.settings.http)
    try:
        page = fetcher.get(source.url, source=source)
        if page.blocked:
            fail(f"{id_or_url}: blocked ({page.blocked})")
        read = listing.read_list(page, source)
        if as_json:
            print_json_line(_check_json(source, page, read, adhoc))
        else:
            _show_check(source, page, read, adhoc, fetcher)
    except FetchError as exc:
        fail(f"{id_or_url}: {exc}")
    finally:
        fetcher.close()
    if len(read.links) < source.min_links:
        sys.exit(1)


def _source_to_check(app: AppContext, id_or_url: str) -> tuple[Any, bool]:
    """(source, whether it is a stand-in for a URL outside the catalog): an id, a catalog entry's URL,
    or any http(s) URL, which becomes a URL-only entry read by detection."""
    catalog = app.catalog()
    found = [s for s in catalog if id_or_url in {s.id, s.url}]
    if found:
        return found[0], False
    if not id_or_url.startswith(("http://", "https://")):
        select_sources(app, (id_or_url,))  # fails naming the unknown id
    from monitor.catalog import ListSelectors, Source

    try:
        adhoc = Source.adhoc(id_or_url)
    except ValueError as exc:
        fail(f"{id_or_url}: not a list page URL ({exc})")
    return adhoc.model_copy(update={"list": ListSelectors(), "pagination": None}), True


def _check_json(source: Any, page: Any, read: Any, adhoc: bool) -> dict[str, Any]:
    return {"url": source.url, "final_url": page.url, "id": None if adhoc else source.id, "method": read.method,
            "drift": read.drift, "min_links": source.min_links,
            "links": [{"url": link.url, "title": link.title, "date": link.date.isoformat() if link.date else None}
                      for link in read.links]}


def _show_check(source: Any, page: Any, read: Any, adhoc: bool, fetcher: Any) -> None:
    from monitor import extract

    name = source.url if adhoc else source.id
    how = "automatic detection" if read.method == "detected" else "the entry's selectors"
    click.echo(f"{name}: {len(read.links)} link(s) from {page.url} by {how} (min_links {source.min_links})")
    if read.drift:
        click.echo(f"  drift: {read.drift}")
    for link in read.links:
        click.echo(f"  {link.date or '----------'}  {link.title[:50]}  {link.url}")
    if adhoc and read.links:
        click.echo("\nsuggested catalog entry (check region, name and notes):\n")
        click.echo(suggest_entry(source.url, page.text or "", len(read.links)))
    if read.links:
        article_page = fetcher.get(read.links[0].url, source=source)
        _show_article(extract.extract_article(article_page.text or "", article_page.url, source, read.links[0]))


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


def suggest_entry(url: str, text: str, found: int) -> str:
    """A URL-only catalog entry for a checked list page, as YAML (scraped text is quoted by the dumper)."""
    import datetime as dt

    import yaml

    from monitor.htmltext import clean_space, parse_html
    from monitor.taxonomy import PROVINCES

    root = parse_html(text)
    title = clean_space(root.findtext(".//title") if root is not None else "") or url
    region = next((p for p in PROVINCES if p in title), "全国")
    entry = {"id": _suggested_id(url), "name": title[:60], "region": region, "url": url, "kind": "html",
             "every": "12h", "min_links": min(found, 5),
             "notes": f"URL-only: links by automatic list detection ({found} found on {dt.date.today()}). "
                      "Assumed: region and name from the page title."}
    return yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=100)


def _suggested_id(url: str) -> str:
    """A kebab-case id from the host's distinctive labels and the path: jyt.example.gov.cn/zwgk/tzgg/ →
    jyt-example-zwgk-tzgg."""
    parts = urlsplit(url)
    labels = [w for w in (parts.hostname or "").split(".") if w not in {"www", "gov", "cn", "com", "edu", "org", "net"}]
    path = [w for w in re.split(r"[/._-]+", parts.path.lower()) if w and w not in {"index", "html", "htm", "shtml"}]
    words = [re.sub(r"[^a-z0-9]", "", w.lower()) for w in (*labels, *path)]
    return "-".join(w for w in words if w)[:48].strip("-") or "my-source"
