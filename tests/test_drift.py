"""URL-only entries and the drift fallback, through real polls of a loopback site: a URL-only entry
stores its articles; a site whose markup changes between polls keeps being polled with the detected
links, tells the operator once, and says so again when its selectors work again."""

from __future__ import annotations

import html
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from monitor.catalog import Source
from monitor.db import make_engine, session_scope
from monitor.fetch import Fetcher
from monitor.models import Alert
from monitor.pipeline import PollContext, poll
from monitor.settings import HttpConfig, Settings
from support.rows import document_urls, source_state
from support.sites import Notice, Site, base_url, serve

BODY = "各市教育局：\n请于本月底前完成校园网络安全自查，并报送自查报告和整改台账。"


@pytest.fixture
def ctx(database_url: str) -> PollContext:
    settings = Settings(database_url=database_url, http=HttpConfig(min_delay=0, retries=0, read_timeout=2))
    return PollContext(engine=make_engine(database_url), fetcher=Fetcher(settings.http), routes=[], settings=settings)


def notices(first: int, count: int) -> list[Notice]:
    return [Notice(f"{7000 + i}", f"关于开展第{i}轮校园网络安全自查工作的通知", BODY, age_days=i)
            for i in range(first, first + count)]


def redesign(site: Site, root: Path) -> None:
    """The column's list page in a new template: cards in divs, dates as 年月日, no #list any more."""
    cards = "".join(
        f'<div class="card"><a href="./{site.article_path(n)}"><h3>{html.escape(n.title)}</h3></a>'
        f"<p class=meta>发布时间：{date.today() - timedelta(days=n.age_days):%Y年%m月%d日}</p></div>"
        for n in site.notices)
    page = (f'<html><head><meta charset="utf-8"><title>通知公告</title></head><body><div class="nav"><a href="/">首页</a>'
            f'<a href="/{site.name}/">通知公告</a></div><div class="news-cards">{cards}</div>'
            f'<div class="pager">共1页</div><div class="footer">版权所有 {site.dept}</div></body></html>')
    (root / site.name / "index.html").write_text(page, encoding="utf-8")


def health_alerts(ctx: PollContext) -> list[Alert]:
    with session_scope(ctx.engine) as session:
        rows = session.exec(select(Alert).where(Alert.route == "source-health").order_by(Alert.id)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_a_url_only_entry_stores_the_articles_of_its_list(tmp_path: Path, ctx: PollContext) -> None:
    site = Site("tzgg", "某省教育厅", notices(1, 3))
    with serve(tmp_path / "www") as server:
        site.write(tmp_path / "www")
        entry = Source.model_validate({"id": "url-only", "name": "某省教育厅 通知公告", "region": "甘肃",
                                       "url": f"{base_url(server)}/tzgg/", "robots": False})
        result = poll(entry, ctx)
    assert entry.list.item is None and entry.preset is None
    assert result.outcome.ok and not result.outcome.drifted and result.new_documents == 3
    assert set(document_urls(ctx.engine)) == {f"{base_url(server)}/tzgg/{site.article_path(n)}" for n in site.notices}
    assert source_state(ctx.engine, "url-only").status == "ok" and health_alerts(ctx) == []


def test_a_redesigned_site_keeps_being_polled_and_the_operator_hears_once(tmp_path: Path, ctx: PollContext) -> None:
    root = tmp_path / "www"
    site = Site("gsgg", "某省教育厅", notices(2, 3))
    with serve(root) as server:
        site.write(root)
        entry = Source.model_validate({**site.catalog_entry(base_url(server), "drifting", "甘肃"), "min_links": 2})
        before = poll(entry, ctx)

        site.notices.insert(0, Notice("7100", "关于报送教育数据安全风险评估报告的通知", BODY, age_days=1))
        site.write(root)  # the new article page …
        redesign(site, root)  # … listed in the new template only
        changed = poll(entry, ctx)
        still = poll(entry, ctx)
        drifted = source_state(ctx.engine, "drifting")
        alerts_while_drifted = health_alerts(ctx)

        site.write(root)  # the old template is back: the selectors read the list again
        recovered = poll(entry, ctx)
        quiet = poll(entry, ctx)

    assert before.outcome.ok and before.new_documents == 3 and not before.outcome.drifted
    assert changed.outcome.ok and changed.outcome.drifted and changed.new_documents == 1 and changed.links == 4
    assert f"{base_url(server)}/gsgg/{site.article_path(site.notices[0])}" in set(document_urls(ctx.engine))
    assert still.outcome.drifted and not still.not_modified, "a drifted list is read in full, never answered by a 304"
    assert drifted.status == "drifted" and drifted.consecutive_failures == 0 and drifted.last_success_at is not None
    assert "selectors found 0" in (drifted.last_error or "")
    assert len(alerts_while_drifted) == 1 and "版面已变" in alerts_while_drifted[0].title
    assert "selectors" in alerts_while_drifted[0].body

    assert recovered.outcome.ok and not recovered.outcome.drifted and source_state(ctx.engine, "drifting").status == "ok"
    alerts = health_alerts(ctx)
    assert len(alerts) == 2 and "已恢复" in alerts[1].title and "selectors find the list again" in alerts[1].body
    assert quiet.outcome.ok and len(set(document_urls(ctx.engine))) == 4


def test_selectors_that_find_too_little_where_detection_finds_no_more_stay_broken(tmp_path: Path,
                                                                                     ctx: PollContext) -> None:
    site = Site("thin", "某省教育厅", notices(1, 1))
    with serve(tmp_path / "www") as server:
        site.write(tmp_path / "www")
        entry = Source.model_validate({**site.catalog_entry(base_url(server), "thin", "甘肃"), "min_links": 3})
        result = poll(entry, ctx)
    assert result.outcome.broken and not result.outcome.drifted
    assert source_state(ctx.engine, "thin").status == "broken"
