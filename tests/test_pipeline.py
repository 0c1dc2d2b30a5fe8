"""poll(source) over real local sites: what a poll stores and what it records about the source."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from monitor.catalog import Source
from monitor.db import make_engine, session_scope
from monitor.fetch import Fetcher
from monitor.models import Alert, ArticleFailure, SourceState
from monitor.pipeline import PollContext, poll, poll_many
from monitor.settings import HttpConfig, Settings
from monitor.sourcehealth import health_batch
from monitor.store import GIVE_UP_AFTER, given_up_counts, record_article_failure
from support.badsite import Answer, html, scripted
from support.rows import document_urls, source_state
from support.sites import Notice, Site, base_url, serve

BODY = "各高等学校：\n请组织开展网络安全等级保护测评工作，发现的问题及时整改，并于月底前报送整改情况。"


def notices(n: int, start: int = 1) -> list[Notice]:
    return [Notice(f"{4000 + i}", f"关于做好第{i}批网络安全检查工作的通知", BODY, age_days=i) for i in range(start, start + n)]


@pytest.fixture
def ctx(database_url: str) -> PollContext:
    settings = Settings(database_url=database_url, http=HttpConfig(min_delay=0, retries=0, read_timeout=2))
    return PollContext(engine=make_engine(database_url), fetcher=Fetcher(settings.http), routes=[], settings=settings)


def source_for(site: Site, base: str, **extra: Any) -> Source:
    return Source.model_validate({**site.catalog_entry(base, f"test-{site.name}", "全国"), **extra})


def state(ctx: PollContext, source_id: str) -> SourceState:
    return source_state(ctx.engine, source_id)


def documents(ctx: PollContext) -> list[str]:
    return document_urls(ctx.engine)


def test_second_poll_stores_nothing_and_one_new_entry_one_document(tmp_path: Path, ctx: PollContext) -> None:
    site = Site("col", "省教育厅", notices(3))
    with serve(tmp_path / "www") as server:
        site.write(tmp_path / "www")
        src = source_for(site, base_url(server))
        first = poll(src, ctx)
        again = poll(src, ctx)
        site.notices.append(Notice("4999", "关于开展教育App备案核查的通知", BODY, age_days=0))
        site.write(tmp_path / "www")
        third = poll(src, ctx)
    assert (first.new_documents, again.new_documents, third.new_documents) == (3, 0, 1)
    assert again.not_modified  # the list answered 304: nothing was parsed
    assert len(documents(ctx)) == 4
    assert state(ctx, src.id).status == "ok" and state(ctx, src.id).documents == 4


def test_a_fresh_process_reads_all_list_validators_at_once_and_polls_conditionally(
        tmp_path: Path, ctx: PollContext) -> None:
    sites = [Site(f"col{n}", f"第{n}教育厅", notices(2)) for n in range(3)]
    with serve(tmp_path / "www") as server:
        for site in sites:
            site.write(tmp_path / "www")
        sources = [source_for(site, base_url(server)) for site in sites]
        poll_many(sources, ctx)
        restarted = PollContext(engine=ctx.engine, fetcher=ctx.fetcher, routes=[], settings=ctx.settings)
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
        event.listen(ctx.engine, "before_cursor_execute", listen)
        try:
            again = poll_many(sources, restarted)
        finally:
            event.remove(ctx.engine, "before_cursor_execute", listen)
    assert all(result.not_modified for result in again), "the stored validators were sent: every list answered 304"
    assert sum("FROM httpcache" in sql for sql in statements) == 1, "one query for every list's validators"


def test_a_dead_article_link_is_given_up_after_days_of_404_and_the_list_gets_its_304_again(
        tmp_path: Path, ctx: PollContext) -> None:
    site = Site("col", "省教育厅", notices(2))
    with serve(tmp_path / "www") as server:
        site.write(tmp_path / "www")
        dead = tmp_path / "www" / "col" / site.article_path(site.notices[1])
        dead.unlink()  # the list links to a page that is not there
        src = source_for(site, base_url(server))
        dead_url = f"{base_url(server)}/col/{site.article_path(site.notices[1])}"
        first, second = poll(src, ctx), poll(src, ctx)
        with session_scope(ctx.engine) as session:  # as if the link had been failing for three days
            row = session.get(ArticleFailure, dead_url)
            assert row is not None and row.failures == 2 and not row.given_up
            row.first_failed_at -= timedelta(days=3)
            row.failures = GIVE_UP_AFTER - 1
            session.add(row)
        third, fourth = poll(src, ctx), poll(src, ctx)
    assert (first.new_documents, second.new_documents, third.new_documents) == (1, 0, 0)
    assert not second.not_modified, "while the link might still appear, the list is read in full"
    assert fourth.not_modified, "given up: the list's validators were saved, the next poll is a 304"
    assert state(ctx, src.id).status == "ok" and len(documents(ctx)) == 1
    with session_scope(ctx.engine) as session:
        assert given_up_counts(session) == {src.id: 1}, "sources list shows it"


def test_an_article_that_recovers_loses_its_failure_record(tmp_path: Path, ctx: PollContext) -> None:
    site = Site("col", "省教育厅", notices(1))
    with serve(tmp_path / "www") as server:
        site.write(tmp_path / "www")
        page = tmp_path / "www" / "col" / site.article_path(site.notices[0])
        content = page.read_bytes()
        page.unlink()
        src = source_for(site, base_url(server))
        failed = poll(src, ctx)
        page.write_bytes(content)
        stored = poll(src, ctx)
    assert (failed.new_documents, stored.new_documents) == (0, 1)
    with session_scope(ctx.engine) as session:
        assert session.exec(select(ArticleFailure)).all() == []


@pytest.mark.parametrize(("answers", "days", "given_up"), [
    ("GGGGGGG", 3, True), ("GGGGGGG", 0, False), ("TTTTTTT", 9, False),
    ("TTTTTTG", 9, False),  # timeouts for days, then one 404: the count of 404s starts there
    ("GGGGTGG", 9, False),  # a timeout breaks the streak
])
def test_only_a_link_gone_poll_after_poll_for_days_is_given_up(ctx: PollContext, answers: str, days: int,
                                                               given_up: bool) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    decided = []
    for n, answer in enumerate(answers):
        with session_scope(ctx.engine) as session:
            when = start + timedelta(days=days) * n / (len(answers) - 1)
            decided.append(record_article_failure(session, "src", "http://a/x.html", "boom", answer == "G", when))
    assert decided[-1] is given_up and not any(decided[:GIVE_UP_AFTER - 1])


def test_a_blocked_site_stores_nothing_and_is_recorded_as_blocked(ctx: PollContext) -> None:
    with scripted({"/list/": html("<script>var $_ts={};</script>", status=412)}) as srv:
        src = Source.model_validate({"id": "walled", "name": "walled", "region": "全国", "url": f"{srv.base}/list/",
                                     "robots": False, "preset": "trs"})
        result = poll(src, ctx)
    assert not result.outcome.ok and "412" in (result.outcome.blocked or "")
    assert documents(ctx) == []
    row = state(ctx, "walled")
    assert row.status == "blocked" and "412" in (row.blocked_reason or "")


def test_fewer_links_than_min_links_marks_the_source_broken(tmp_path: Path, ctx: PollContext) -> None:
    site = Site("thin", "省教育厅", notices(1))
    with serve(tmp_path / "www") as server:
        site.write(tmp_path / "www")
        src = source_for(site, base_url(server), min_links=5)
        result = poll(src, ctx)
    assert result.outcome.broken and "fewer than min_links 5" in result.outcome.broken
    assert state(ctx, src.id).status == "broken"


def test_a_failing_source_never_stops_the_others(tmp_path: Path, ctx: PollContext) -> None:
    good = Site("good", "省教育厅", notices(2))
    with serve(tmp_path / "www") as server, scripted({"/list/": Answer(500, b"oops")}) as bad:
        good.write(tmp_path / "www")
        broken = Source.model_validate({"id": "down", "name": "down", "region": "全国", "url": f"{bad.base}/list/",
                                        "robots": False, "preset": "trs"})
        results = poll_many([broken, source_for(good, base_url(server))], ctx)
    assert [r.outcome.ok for r in results] == [False, True]
    assert "HTTP 500" in (results[0].outcome.error or "")
    assert state(ctx, "down").consecutive_failures == 1 and "HTTP 500" in (state(ctx, "down").last_error or "")
    assert len(documents(ctx)) == 2


def test_articles_on_other_hosts_are_ignored(ctx: PollContext) -> None:
    article = html("<html><body><div class=TRS_Editor><p>" + BODY + "</p></div></body></html>")
    with scripted({"/a.html": article}) as mirror:
        page = (f'<ul id="list"><li><a href="{mirror.base}/a.html" title="转载的月报">转载的月报</a><span>2026-01-02</span></li>'
                '<li><a href="./own.html" title="本站通知">本站通知</a><span>2026-01-03</span></li></ul>')
        with scripted({"/list/": html(page), "/list/own.html": article}) as site:
            src = Source.model_validate({"id": "own", "name": "own", "region": "全国", "url": f"{site.base}/list/",
                                         "robots": False, "preset": "trs"})
            result = poll(src, ctx)
    assert result.links == 1 and documents(ctx) == [f"{site.base}/list/own.html"]
    assert mirror.requests == []


def test_a_backfill_reads_later_pages_even_when_the_first_answers_304(tmp_path: Path, ctx: PollContext) -> None:
    site = Site("col", "省教育厅", notices(2))
    older = Site("col", "省教育厅", notices(1, start=7))  # what page 2 of the column lists
    with serve(tmp_path / "www") as server:
        older.write(tmp_path / "www")
        (tmp_path / "www" / "col" / "index.html").rename(tmp_path / "www" / "col" / "index_1.html")
        site.write(tmp_path / "www")
        src = source_for(site, base_url(server))
        first = poll(src, ctx)
        unchanged = poll(src, ctx)
        backfill = poll(src, ctx, pages=2)
    assert (first.new_documents, unchanged.not_modified, backfill.new_documents) == (2, True, 1)
    assert len(documents(ctx)) == 3


def test_an_article_that_redirects_to_another_site_is_not_stored(ctx: PollContext) -> None:
    article = html("<html><body><div class=TRS_Editor><p>" + BODY + "</p></div></body></html>")
    with scripted({"/copy.html": article}) as elsewhere:
        rows = ('<li><a href="./a.html" title="通知a">通知a</a><span>2026-01-02</span></li>'
                '<li><a href="./b.html" title="通知b">通知b</a><span>2026-01-03</span></li>')
        routes = {"/list/": html(f'<ul id="list">{rows}</ul>'), "/list/a.html": article,
                  "/list/b.html": html("", status=302, Location=f"{elsewhere.base}/copy.html")}
        with scripted(routes) as site:
            src = Source.model_validate({"id": "moved", "name": "moved", "region": "全国", "url": f"{site.base}/list/",
                                         "robots": False, "preset": "trs"})
            result = poll(src, ctx)
    assert result.new_documents == 1 and documents(ctx) == [f"{site.base}/list/a.html"]


def test_pages_follow_trs_pagination_to_catch_up(ctx: PollContext) -> None:
    def listing(names: list[str]) -> Answer:
        rows = "".join(f'<li><a href="./{n}.html" title="通知{n}">通知{n}</a><span>2026-01-0{i + 1}</span></li>'
                       for i, n in enumerate(names))
        return html(f'<ul id="list">{rows}</ul>')

    article = html("<html><body><div class=TRS_Editor><p>" + BODY + "</p></div></body></html>")
    routes: dict[str, Answer | list[Answer]] = {"/list/": listing(["a", "b"]), "/list/index_1.html": listing(["c"]),
                                                **{f"/list/{n}.html": article for n in "abc"}}
    with scripted(routes) as site:
        src = Source.model_validate({"id": "paged", "name": "paged", "region": "全国", "url": f"{site.base}/list/",
                                     "robots": False, "preset": "trs"})
        first = poll(src, ctx)
        catch_up = poll(src, ctx, pages=2)
    assert first.new_documents == 2 and catch_up.new_documents == 1
    assert len(documents(ctx)) == 3


def test_an_article_link_with_a_port_out_of_range_fails_that_article_not_the_poll(ctx: PollContext) -> None:
    article = html("<html><body><div class=TRS_Editor><p>" + BODY + "</p></div></body></html>")
    rows = ('<li><a href="http://127.0.0.1:99999/list/bad.html" title="通知a">通知a</a><span>2026-01-02</span></li>'
            '<li><a href="./b.html" title="通知b">通知b</a><span>2026-01-03</span></li>')
    with scripted({"/list/": html(f'<ul id="list">{rows}</ul>'), "/list/b.html": article}) as site:
        src = Source.model_validate({"id": "badport", "name": "badport", "region": "全国", "url": f"{site.base}/list/",
                                     "robots": False, "preset": "trs", "allow_hosts": ["127.0.0.1"]})
        result = poll(src, ctx)
    assert result.outcome.ok and result.links == 2 and documents(ctx) == [f"{site.base}/list/b.html"]
    with session_scope(ctx.engine) as session:
        failure = session.get(ArticleFailure, "http://127.0.0.1:99999/list/bad.html")
        assert failure is not None and failure.failures == 1 and "invalid URL" in (failure.last_error or "")
    assert state(ctx, "badport").status == "ok"


def test_a_cycle_writes_its_good_polls_health_in_one_transaction_and_still_notices_a_recovery(
        tmp_path: Path, ctx: PollContext) -> None:
    sites = [Site(f"col{n}", f"第{n}教育厅", notices(1)) for n in range(3)]
    commits: list[int] = []
    count = lambda *args: commits.append(1)  # noqa: E731
    with serve(tmp_path / "www") as server:
        for site in sites:
            site.write(tmp_path / "www")
        sources = [source_for(site, base_url(server)) for site in sites]
        poll_many(sources, ctx)  # first polls: every row is created one by one
        event.listen(ctx.engine, "commit", count)
        try:
            warm = poll_many(sources, replace(ctx, health=health_batch(ctx.engine, max_wait=3600)))
            batched = len(commits)
            poll_many(sources, replace(ctx, health=health_batch(ctx.engine, max_wait=0)))  # a row as each poll ends
        finally:
            event.remove(ctx.engine, "commit", count)
        with session_scope(ctx.engine) as session:
            row = session.get(SourceState, sources[0].id)
            row.status = row.alerted_status = "failing"
            row.consecutive_failures = 3
        poll_many(sources, ctx)
    assert all(r.not_modified for r in warm) and batched == 1 and len(commits) == 1 + 3
    assert [state(ctx, s.id).polls for s in sources] == [4, 4, 4]
    recovered = state(ctx, sources[0].id)
    assert (recovered.status, recovered.alerted_status, recovered.consecutive_failures) == ("ok", "ok", 0)
    with session_scope(ctx.engine) as session:
        assert session.exec(select(Alert.key).where(Alert.route == "source-health")).all() == \
            [f"source:{sources[0].id}:ok:4"]
