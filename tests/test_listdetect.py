"""Automatic list detection on list pages of every CMS family, served over loopback HTTP and read as a
URL-only catalog entry: precision and recall of the links, exact titles and dates, per page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
import yaml

from monitor.catalog import Source
from monitor.htmltext import find_day
from monitor.listdetect import detect_links, same_site
from monitor.listing import Link, list_base, read_list
from support.pages import PageServer, loopback_fetcher, serve_pages

FIXTURES = Path(__file__).parent / "fixtures" / "detect"
EXPECTED = yaml.safe_load((FIXTURES / "expected.yml").read_text(encoding="utf-8"))
CATALOG_FIXTURES = Path(__file__).parent / "fixtures" / "catalog"


def url_only(url: str, real_host: str) -> Source:
    """A catalog entry with no preset and no `list:` selectors, as a user would add a site."""
    return Source.model_validate({"id": "probe", "name": "probe", "region": "全国", "url": url, "robots": False,
                                  "allow_hosts": [real_host]})


def served(site: PageServer, name: str) -> tuple[str, str]:
    """(loopback URL, real URL) of a fixture page put on the loopback server at its real path."""
    real = EXPECTED[name]["url"]
    parts = urlsplit(real)
    local = urlunsplit((*urlsplit(site.base)[:2], parts.path, parts.query, ""))
    site.pages = {parts.path + (f"?{parts.query}" if parts.query else ""): ((FIXTURES / name).read_bytes(), "text/html")}
    return local, real


def expected_links(name: str, local: str) -> list[Link]:
    return [Link(url=urljoin(list_base(local), e["url"]), title=e["title"],
                 date=dt.date.fromisoformat(e["date"]) if e["date"] else None) for e in EXPECTED[name]["links"]]


def scores(found: list[Link], expected: list[Link]) -> dict[str, float]:
    """Precision and recall of the URLs; exact titles and dates among the links found that are right."""
    want = {link.url: link for link in expected}
    right = [link for link in found if link.url in want]
    return {"precision": len(right) / len(found) if found else 0.0,
            "recall": len({link.url for link in right}) / len(want),
            "titles": sum(link.title == want[link.url].title for link in right) / max(1, len(right)),
            "dates": sum(link.date == want[link.url].date for link in right) / max(1, len(right))}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detection_finds_the_main_list(name: str) -> None:
    with serve_pages() as site, loopback_fetcher() as fetcher:
        local, real = served(site, name)
        entry = url_only(local, urlsplit(real).hostname or "")
        read = read_list(fetcher.get(local, source=entry), entry)
    expected = expected_links(name, local)

    figures = scores(read.links, expected)
    print(f"{name}: " + " ".join(f"{k}={v:.2f}" for k, v in figures.items()))
    assert read.method == "detected"
    assert figures["precision"] >= 0.95 and figures["recall"] >= 0.95, (read.links, expected)
    assert figures["titles"] >= 0.90 and figures["dates"] >= 0.95, read.links
    assert [link.url for link in read.links] == [link.url for link in expected], "page order"


def test_detection_reads_the_catalog_fixture_pages_as_their_selectors_do() -> None:
    """The catalog's own fixture pages (TRS, Hanweb, WAS, onclick lists …): detection alone finds what
    the hand-written selectors find, on every page that has a static list."""
    expected = yaml.safe_load((CATALOG_FIXTURES / "expected.yml").read_text(encoding="utf-8"))
    from monitor.catalog import load_catalog
    from monitor.charset import decode_html

    checked = 0
    for source in load_catalog():
        path = CATALOG_FIXTURES / f"{source.id}.html"
        if source.module or not path.exists() or not expected[source.id]:
            continue
        want = [Link(url=urljoin(list_base(source.url), e["url"]), title=e["title"], date=e["date"])
                for e in expected[source.id]]
        found = {link.url: link for link in reversed(detect_links(decode_html(path.read_bytes()), source.url))
                 if source.owns(link.url)}  # de-duplicated, first wins, on the entry's site: as links_for keeps them
        figures = scores(list(found.values()), want)
        assert figures["precision"] >= 0.95 and figures["recall"] >= 0.95, (source.id, figures)
        assert figures["titles"] >= 0.90 and figures["dates"] >= 0.95, (source.id, figures)
        checked += 1
    assert checked >= 25


@pytest.mark.parametrize(("text", "day"), [
    ("2025-11-28", dt.date(2025, 11, 28)), ("2025/11/28", dt.date(2025, 11, 28)), ("2025.11.28", dt.date(2025, 11, 28)),
    ("2025年11月28日", dt.date(2025, 11, 28)), ("[2025-11-28]", dt.date(2025, 11, 28)), ("发布：2025- 11- 28", dt.date(2025, 11, 28)),
    ("28 2025-11", dt.date(2025, 11, 28)), ("2025.11 28", dt.date(2025, 11, 28)), ("[11-28]", dt.date(2025, 11, 28)),
    ("11月28日", dt.date(2025, 11, 28)), ("12-30", dt.date(2024, 12, 30)), ("2025-11", None), ("版本 1.5", None),
    ("02-30", None), ("", None),
])
def test_dates_in_every_list_form(text: str, day: dt.date | None) -> None:
    assert find_day(text, dt.date(2025, 12, 3)) == day


def test_a_page_without_a_list_yields_nothing() -> None:
    page = ('<html><body><div class="nav"><a href="/a/">首页</a><a href="/b/">新闻中心</a></div>'
            '<div class="article"><h1>一篇文章</h1><p>正文。</p></div>'
            '<div class="footer"><a href="https://www.gov.cn/">中华人民共和国中央人民政府门户网站</a>'
            '<a href="https://www.moe.gov.cn/">中华人民共和国教育部门户网站</a></div></body></html>')
    assert detect_links(page, "https://jyt.example.gov.cn/x/") == []
    assert detect_links("", "https://jyt.example.gov.cn/x/") == []


def test_links_resolve_against_the_page_and_its_base_href() -> None:
    rows = "".join(f'<li><a href="{href}">关于开展第{n}批教育信息化试点工作的通知</a><span>2026-11-0{n}</span></li>'
                   for n, href in enumerate(["../up/a.html", "ShowArticle.asp?ArticleID=8800&amp;x=1", "/root/b.html"], 1))
    page = f'<html><head><base href="https://jyt.example.gov.cn/col/sub/"></head><body><ul>{rows}</ul></body></html>'
    found = detect_links(page, "https://jyt.example.gov.cn/other/list.html")
    assert [link.url for link in found] == ["https://jyt.example.gov.cn/col/up/a.html",
                                            "https://jyt.example.gov.cn/col/sub/ShowArticle.asp?ArticleID=8800&x=1",
                                            "https://jyt.example.gov.cn/root/b.html"]


def test_a_date_inside_the_title_is_not_the_entry_date() -> None:
    rows = ('<li><a href="./a.html">2026年11月20日全省教育网络安全工作会议召开</a><span>2026-11-21</span></li>'
            '<li><a href="./b.html">关于2026年11月30日前报送数据安全自查报告的通知</a></li>')
    found = detect_links(f"<html><body><ul>{rows}</ul></body></html>", "https://jyt.example.gov.cn/x/")
    assert [link.date for link in found] == [dt.date(2026, 11, 21), None]


def test_same_site_is_the_department_domain() -> None:
    assert same_site("https://www.jyt.example.gov.cn/a.html", "http://jyt.example.gov.cn/x/")
    assert same_site("https://news.example.edu.cn/a.html", "https://www.example.edu.cn/")
    assert not same_site("https://www.moe.gov.cn/a.html", "https://jyt.example.gov.cn/x/")
    assert not same_site("https://www.gov.cn/", "https://jyt.example.gov.cn/x/")


def test_short_titles_inside_the_main_list_still_count() -> None:
    rows = "".join(f'<li><a href="./{n}.html">{title}</a><span>2026-11-{n:02d}</span></li>'
                   for n, title in enumerate(["关于开展网络安全检查的通知", "工作简报", "关于公布示范校名单的通知"], 1))
    page = f'<html><body><div class=nav><a href="/a/">首页</a></div><ul class=list>{rows}</ul></body></html>'
    found = detect_links(page, "https://jyt.example.gov.cn/x/")
    assert [link.title for link in found] == ["关于开展网络安全检查的通知", "工作简报", "关于公布示范校名单的通知"]


def test_an_entry_with_a_long_named_attachment_keeps_its_article_link() -> None:
    rows = "".join(f'<tr><td><a href="./t{n}.html">关于开展第{n}批网络安全检查的通知</a></td>'
                   f'<td><a href="./P0{n}.docx">附件：第{n}批全省中小学校网络安全检查工作实施方案.docx</a></td>'
                   f"<td>2026-11-0{n}</td></tr>" for n in (1, 2, 3))
    found = detect_links(f"<html><body><table>{rows}</table></body></html>", "https://jyt.example.gov.cn/x/")
    assert [link.url.rsplit("/", 1)[1] for link in found] == ["t1.html", "t2.html", "t3.html"]
    assert found[0].title == "关于开展第1批网络安全检查的通知" and found[0].date == dt.date(2026, 11, 1)


def test_a_scrolling_banner_of_long_undated_titles_loses_to_the_dated_list() -> None:
    banner = "".join(f'<a href="/s/{i}.html">滚动通知：全省教育系统第{i}次网络安全专项检查工作部署会</a>' for i in range(8))
    rows = "".join(f'<li><a href="/a/{i}.html">省教育厅关于做好第{i}批教育数字化项目验收的通知</a><font>(2026-11-1{i})</font></li>'
                   for i in range(4))
    page = f'<html><body><div class="gd"><marquee>{banner}</marquee></div><table><tr><td><ul>{rows}</ul></td></tr></table></body></html>'
    found = detect_links(page, "https://jyt.example.gov.cn/col/list.html")
    assert [link.url.rsplit("/", 2)[1] for link in found] == ["a"] * 4
    assert found[3].date == dt.date(2026, 11, 13)
