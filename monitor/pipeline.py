"""poll(source): the one place that strings fetch → extract → understand → store → route together."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from monitor.catalog import Source
from monitor.db import session_scope
from monitor.elastic import ElasticPool
from monitor.fetch import Fetcher, FetchError, FetchResult, InvalidURL, Validators
from monitor.models import Document, utcnow
from monitor.pollrecord import Deferred, HealthBatch, PollOutcome, PollResult, good_poll, log_poll_done
from monitor.settings import RouteConfig, Settings
from monitor.sourcehealth import health_batch, record_healthy_poll, record_poll
from monitor.store import (
    GONE,
    clear_article_failure,
    draft_document,
    failing_articles,
    get_validators,
    one_writer,
    put_validators,
    record_article_failure,
    save_draft,
    stored_urls,
)

if TYPE_CHECKING:  # imported where used: a warm poll (every list answers 304) never needs them
    from monitor import listing
    from monitor.metrics import Metrics

log = structlog.get_logger()


@dataclass
class PollContext:
    """What a poll needs, built once per process and shared by every poll."""

    engine: Engine
    fetcher: Fetcher
    routes: Sequence[RouteConfig]
    settings: Settings
    metrics: Metrics | None = None
    # Good polls whose health rows are written a chunk at a time (poll_many); None: each one at once.
    health: HealthBatch | None = None
    # List-page validators by URL: read from the database once, then kept here (written through),
    # so a warm poll costs one request and one state update. Another process that refreshed them
    # only costs this one a full 200 answer, never a missed change.
    validators: dict[str, Validators] = field(default_factory=dict)
    # What a source's list already answered in this cycle, by source id (monitor/sweep.py asked it
    # with the source's own settings): used instead of asking again, once; an exception is raised
    # as the request's own would have been.
    prefetched: dict[str, FetchResult | Exception] = field(default_factory=dict)

    def load_validators(self, urls: Sequence[str]) -> None:
        """Read the validators of the URLs not cached yet, in one query rather than one per poll."""
        missing = [url for url in dict.fromkeys(urls) if url not in self.validators]
        if not missing:
            return
        with session_scope(self.engine) as session:
            found = get_validators(session, missing)
        for url in missing:
            etag, modified = found.get(url, (None, None))
            self.validators[url] = Validators(etag=etag, last_modified=modified)


class SourceBlocked(Exception):
    """The site answered with a challenge or rate-limit page instead of content."""


class OffSite(FetchError):
    """An article link that redirects to another site: not this source's page."""


def poll(source: Source, ctx: PollContext, pages: int = 1) -> PollResult:
    """Poll one source; never raises: every failure ends up in SourceState and the log."""
    started = time.monotonic()
    result = PollResult(source_id=source.id)
    with structlog.contextvars.bound_contextvars(source=source.id):
        try:
            _poll_pages(source, ctx, pages, result)
        except SourceBlocked as exc:
            result.outcome = PollOutcome(ok=False, blocked=str(exc))
        except FetchError as exc:
            result.outcome = PollOutcome(ok=False, error=str(exc))
        except Exception as exc:  # the error boundary: one broken source never stops the others
            log.exception("poll.crashed")
            result.outcome = PollOutcome(ok=False, error=f"{type(exc).__name__}: {exc}")
        result.outcome.documents = result.new_documents
        try:
            _record(source, ctx, result.outcome)
        except Exception:  # the database itself is failing: logged, and the next poll tries again
            log.exception("poll.state_not_recorded")
        _count(ctx.metrics, source.id, result.outcome)
        log_poll_done(result, started)
    return result


def _poll_pages(source: Source, ctx: PollContext, pages: int, result: PollResult) -> None:
    if pages > 1:
        from monitor.listing import page_urls

        urls = page_urls(source, pages)
    else:
        urls = [source.url]
    for page_number, url in enumerate(urls):
        # A backfill (pages > 1) asks unconditionally: a 304 on page 1 says nothing about page 2.
        page = _fetch_listing(source, ctx, url, conditional=page_number == 0 and pages == 1)
        if page.not_modified:
            result.not_modified = True
            return
        from monitor.listing import read_list  # a 304 never reads a list: imported at the first one that does

        read = read_list(page, source)
        links = read.links
        result.links += len(links)
        if page_number == 0 and len(links) < source.min_links:
            result.outcome = PollOutcome(ok=False, broken=f"{len(links)} links, fewer than min_links {source.min_links}")
        elif page_number == 0 and read.drift:
            result.outcome = PollOutcome(ok=True, drifted=read.drift)
        all_stored = _store_new_articles(source, ctx, links, result)
        # Remember the list's validators only once every article behind it is stored, so a
        # failed article is retried next time instead of hiding behind a 304; and not while the
        # selectors are drifted, so every poll reads the page and notices when they work again.
        if page_number == 0 and all_stored and not read.drift and ctx.validators.get(url) != page.validators:
            with session_scope(ctx.engine) as session:
                put_validators(session, url, page.validators.etag, page.validators.last_modified)
            ctx.validators[url] = page.validators


def _fetch_listing(source: Source, ctx: PollContext, url: str, conditional: bool) -> FetchResult:
    listing = ctx.prefetched.pop(source.id, None) if conditional and url == source.url else None
    if isinstance(listing, Exception):
        raise listing
    if listing is None:
        validators = None
        if conditional:
            ctx.load_validators([url])
            validators = ctx.validators[url]
        listing = ctx.fetcher.get(url, validators=validators, source=source)
    if ctx.metrics is not None:
        ctx.metrics.fetch_seconds.observe(listing.elapsed)
    if listing.blocked:
        raise SourceBlocked(listing.blocked)
    return listing


def _store_new_articles(source: Source, ctx: PollContext, links: Sequence[listing.Link],
                        result: PollResult) -> bool:
    """Fetch and store every link not stored yet; False when any of them failed (and was not given up on)."""
    urls = [link.url for link in links]
    with session_scope(ctx.engine) as session:
        known = stored_urls(session, urls)
        failing = failing_articles(session, [url for url in urls if url not in known])
    ok = True
    for link in links:
        if link.url in known or failing.get(link.url):  # stored, or a dead link given up on
            continue
        try:
            _store_article(source, ctx, link, result)
        except FetchError as exc:
            ok = _article_failed(source, ctx, link.url, exc) and ok
        except SourceBlocked as exc:
            log.warning("article.blocked", url=link.url, reason=str(exc))
            raise
        else:
            if link.url in failing:
                with session_scope(ctx.engine) as session:
                    clear_article_failure(session, link.url)
    return ok


def _article_failed(source: Source, ctx: PollContext, url: str, exc: FetchError) -> bool:
    """Record the failure; True when the link is given up on (so it no longer holds the list back)."""
    gone = isinstance(exc, OffSite | InvalidURL) or exc.status in GONE
    for attempt in (1, 2):  # two sources listing the same article may record it at the same moment
        try:
            with session_scope(ctx.engine) as session:
                given_up = record_article_failure(session, source.id, url, str(exc), gone, utcnow())
            break
        except IntegrityError:
            if attempt == 2:
                raise
    if given_up:
        log.warning("article.given_up", url=url, error=str(exc))
    else:
        log.warning("article.failed", url=url, error=str(exc))
    return given_up


def _store_article(source: Source, ctx: PollContext, link: listing.Link, result: PollResult) -> None:
    from monitor import extract
    from monitor.attachments import read_attachments
    from monitor.understand import understand

    page = ctx.fetcher.get(link.url, source=source)
    if page.blocked:
        raise SourceBlocked(page.blocked)
    if not source.owns(page.url):  # a copy elsewhere is not this source's; counted like a 404
        raise OffSite(f"redirected off the site to {page.url}")
    article = extract.extract_article(page.text or "", page.url, source, link)
    published = article.published_at or _list_date(link, ctx.settings)
    parsed = understand(article.text, title=article.title or link.title, region=source.region,
                        published=published.date() if published else None, table=article.meta)
    files = read_attachments(article.attachments, ctx.fetcher, source, ctx.settings.attachments,
                             skip=None if _may_alert(published, ctx) else "not fetched: published before max_age")
    doc = Document(source_id=source.id, url=link.url, title=article.title or link.title or parsed.title,
                   kind=parsed.kind, period=parsed.period, region=parsed.region or source.region,
                   publisher=article.publisher, published_at=published, text=article.text,
                   raw_html=page.text, content_hash="", meta=article.meta,
                   attachments=[f.summary() for f in files] if files is not None else article.attachments,
                   doc_number=parsed.doc_number, issuer=parsed.issuer, deadlines=parsed.deadlines,
                   signed_at=dt.date.fromisoformat(parsed.signed_at) if parsed.signed_at else None)
    draft = draft_document(doc, parsed.items, ctx.routes, ctx.settings.max_age,
                           attachment_texts=[f.text for f in files or []])
    with one_writer(ctx.engine), session_scope(ctx.engine) as session:
        saved = save_draft(session, draft)
    if not saved.skipped:
        result.new_documents += 1
        result.new_items += saved.new_items
        result.alerts += saved.alerts
        log.info("document.stored", url=link.url, items=saved.new_items, alerts=saved.alerts,
                 duplicate_of=saved.duplicate_of)


def _may_alert(published: datetime | None, ctx: PollContext) -> bool:
    """Attachments are read for articles recent enough to alert on some route: a first poll or a
    --pages backfill of old notices costs no request per old attachment."""
    longest = max([ctx.settings.max_age, *(r.max_age for r in ctx.routes if r.max_age)])
    return published is None or utcnow() - published <= longest


def _list_date(link: listing.Link, settings: Settings) -> datetime | None:
    """A list-page date (a calendar day in the site's zone) as an aware timestamp at local noon."""
    if link.date is None:
        return None
    from zoneinfo import ZoneInfo

    return datetime(link.date.year, link.date.month, link.date.day, 12, tzinfo=ZoneInfo(settings.timezone))


def _record(source: Source, ctx: PollContext, outcome: PollOutcome) -> None:
    now = utcnow()
    if ctx.health is not None and good_poll(outcome):
        for deferred in ctx.health.add(source, outcome, now):
            record_in_full(ctx, *deferred)
    elif not record_healthy_poll(ctx.engine, source.id, outcome, now):
        record_in_full(ctx, source, outcome, now)


def record_in_full(ctx: PollContext, source: Source, outcome: PollOutcome, now: datetime) -> None:
    """Load the source's state, update it, and tell the operator when its status changed."""
    delivery = ctx.settings.delivery
    with session_scope(ctx.engine) as session:
        alert = record_poll(session, source.id, source.name, outcome, operator_tag=delivery.operator_tag,
                            failures_before_alert=delivery.failures_before_alert, now=now)
    if alert is not None:
        log.warning("source.status_changed", title=alert.title, detail=alert.body)


def _count(metrics: Metrics | None, source_id: str, outcome: PollOutcome) -> None:
    if metrics is None:
        return
    metrics.polls.labels(source_id).inc()
    if outcome.blocked:
        metrics.blocked.labels(source_id).inc()
    if outcome.ok and not outcome.broken:
        metrics.last_success.labels(source_id).set_to_current_time()
    else:
        metrics.poll_failures.labels(source_id).inc()


def poll_many(sources: Sequence[Source], ctx: PollContext, pages: int = 1) -> list[PollResult]:
    """Poll several sources at once in a pool of at most `workers` threads, grown only while they
    wait on the network (ElasticPool); the fetcher keeps per-host limits. The health rows of good
    polls are written in chunks (HealthBatch), the rest as each poll ends."""
    if len(sources) <= 1:
        return [poll(source, ctx, pages) for source in sources]
    ctx.load_validators([source.url for source in sources])
    cycle = ctx if ctx.health is not None else replace(ctx, health=health_batch(ctx.engine))
    try:
        return ElasticPool(ctx.settings.workers).map(lambda source: poll(source, cycle, pages), sources)
    finally:
        record_all(cycle, cycle.health.flush)


def record_all(ctx: PollContext, pending: Callable[[], Sequence[Deferred]]) -> None:
    """record_in_full for each good poll that `pending` (a batch's flush) returns: those whose state
    row did not match. A failing database is logged, and the next cycle counts again."""
    try:
        for deferred in pending():
            record_in_full(ctx, *deferred)
    except Exception:
        log.exception("poll.state_not_recorded")
