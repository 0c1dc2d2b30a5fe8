"""List pages of every family → links (url, full title, list date), on fixture pages under fixtures/pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from monitor.catalog import Source, _apply_preset, load_presets
from monitor.listing import Link, feed_links, html_links, links_for, list_base, page_urls

PAGES = Path(__file__).parent / "fixtures" / "pages"
MOE_YB = "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb"
SHANDONG = "http://edu.shandong.gov.cn/col/col11982/index.html"


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def source(url: str, preset: str | None = "trs", **extra: Any) -> Source:
    entry = {"id": "t", "name": "测试栏目", "region": "全国", "url": url, "preset": preset, **extra}
    return Source.model_validate(_apply_preset(entry, load_presets()))


def links(name: str, url: str, preset: str = "trs", today: dt.date | None = None, **extra: Any) -> list[Link]:
    return html_links(page(name), url, source(url, preset, **extra).list, today=today)


def by_url(found: list[Link]) -> dict[str, Link]:
    return {link.url: link for link in found}


# --- TRS column lists (MOE) -------------------------------------------------------------------


@pytest.mark.parametrize("url", [MOE_YB, MOE_YB + "/", MOE_YB + "/index.html"])
def test_trs_list_resolves_relative_links_with_or_without_trailing_slash(url: str) -> None:
    found = links("moe_yuebao_list.html", url)
    assert found[0].url == MOE_YB + "/202608/t20260818_1447148.html"
    assert found[2].url == "https://www.moe.gov.cn/jyb_xwfb/gzdt_gzdt/s5987/202606/t20260611_1443310.html"
    assert found[4].url == "https://www.moe.gov.cn/fbh/live/2026/56120/"
    assert len(found) == 7  # navigation, breadcrumb and footer links are not entries


def test_trs_title_comes_from_the_attribute_not_the_cut_link_text() -> None:
    second = links("moe_yuebao_list.html", MOE_YB)[1]
    assert second.title == "2026年5月教育信息化和网络安全工作月报"
    assert "…" not in second.title


def test_list_date_wins_over_the_date_in_the_url() -> None:
    first = links("moe_yuebao_list.html", MOE_YB)[0]
    assert "/202608/t20260818_" in first.url
    assert first.date == dt.date(2026, 7, 20)


def test_links_to_other_hosts_are_dropped_for_the_source() -> None:
    listing = SimpleNamespace(text=page("moe_yuebao_list.html"), url=MOE_YB + "/", content=None)
    kept = by_url(links_for(listing, source(MOE_YB + "/")))
    assert all(url.startswith("https://www.moe.gov.cn/") for url in kept)
    assert not any("beautiful-landscapes" in url or "www.gov.cn" in url for url in kept)
    assert MOE_YB + "/202608/t20260818_1447148.html" in kept


def test_allowed_hosts_are_kept() -> None:
    listing = SimpleNamespace(text=page("moe_yuebao_list.html"), url=MOE_YB + "/", content=None)
    kept = by_url(links_for(listing, source(MOE_YB + "/", allow_hosts=["www.gov.cn"])))
    assert "https://www.gov.cn/zhengce/zhengceku/202606/content_7012345.htm" in kept
    assert not any("beautiful-landscapes" in url for url in kept)


def test_fenlei_dl_list_prefers_the_full_date_over_the_mobile_twin() -> None:
    url = "https://www.moe.gov.cn/jyb_xxgk/xxgk/neirong/fenlei/sxml_jyxxh/jyxxh_xxh/xxh_gzyb/"
    found = links("moe_fenlei_list.html", url, today=dt.date(2026, 8, 1))
    assert [link.date for link in found] == [dt.date(2026, 7, 20), dt.date(2025, 12, 30)]
    assert found[1].title == "教育部办公厅关于印发《2026年教育信息化和网络安全工作要点》的通知"
    assert found[0].url == url + "202607/t20260720_1445502.html"


def test_was_fragment_of_bare_items_with_absolute_urls() -> None:
    url = "http://www.moe.gov.cn/was5/web/search?channelid=236238&page=1"
    found = links("moe_was_fragment.html", url)
    assert [link.url for link in found] == [
        "http://www.moe.gov.cn/srcsite/A16/s3342/202602/t20260215_1430000.html",
        "http://www.moe.gov.cn/srcsite/A16/s3342/202601/t20260109_1428811.html",
        "http://www.moe.gov.cn/srcsite/A16/s7062/202512/t20251203_1420020.html",
    ]
    assert found[0].date == dt.date(2026, 2, 15)
    assert found[0].title.startswith("教育部关于加强高等学校网络安全人才培养")


def test_full_was_page_uses_its_result_box() -> None:
    text = ('<html><body><ul class="nav"><li><a href="/">首页</a></li></ul><div class="scy_lbsj-right-nr"><ul>'
            + page("moe_was_fragment.html") + "</ul></div></body></html>")
    found = html_links(text, "http://www.moe.gov.cn/was5/web/search?channelid=239993", source(MOE_YB).list)
    assert len(found) == 3
    assert all("/srcsite/" in link.url for link in found)


# --- homepage MM-DD dates -----------------------------------------------------------------------


@pytest.mark.parametrize(("today", "expected"), [
    (dt.date(2027, 1, 3), [dt.date(2027, 1, 2), dt.date(2026, 12, 31), dt.date(2026, 12, 30)]),
    (dt.date(2027, 1, 2), [dt.date(2027, 1, 2), dt.date(2026, 12, 31), dt.date(2026, 12, 30)]),
    (dt.date(2026, 12, 31), [dt.date(2026, 1, 2), dt.date(2026, 12, 31), dt.date(2026, 12, 30)]),
])
def test_homepage_month_day_dates_across_new_year(today: dt.date, expected: list[dt.date]) -> None:
    found = links("moe_home.html", "https://www.moe.gov.cn/", today=today, list={"item": "#nine_con1 li"})
    assert [link.date for link in found] == expected
    assert all(link.date is not None and link.date <= today for link in found)


def test_homepage_dates_are_never_in_the_future_with_the_real_clock() -> None:
    found = links("moe_home.html", "https://www.moe.gov.cn/", list={"item": "#nine_con1 li"})
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert all(link.date is not None and link.date <= today for link in found)


# --- relative links and <base href> -----------------------------------------------------------------


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb", "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/"),
    ("https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/", "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/"),
    ("https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/index.html",
     "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/index.html"),
    ("http://www.moe.gov.cn/was5/web/search?channelid=1", "http://www.moe.gov.cn/was5/web/search?channelid=1"),
    ("https://www.moe.gov.cn", "https://www.moe.gov.cn"),
])
def test_list_base(url: str, expected: str) -> None:
    assert list_base(url) == expected


def test_base_href_decides_relative_links_and_javascript_entries_are_skipped() -> None:
    found = links("base_href_list.html", "https://www.moe.gov.cn/s78/A16/tongzhi")
    assert [link.url for link in found] == [
        "https://www.moe.gov.cn/s78/A16/tongzhi/202607/t20260703_1444001.html",
        "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/202607/t20260715_1446001.html",
    ]
    assert found[0].title == "关于开展2026年度教育系统网络安全宣传周活动的通知"


def test_query_strings_in_hrefs_are_decoded_once() -> None:
    text = '<ul id="list"><li><a href="./view.jsp?id=7&amp;notice=1&amp;copy=2">通知</a><span>2026-07-01</span></li></ul>'
    found = html_links(text, MOE_YB, source(MOE_YB).list)
    assert found[0].url == MOE_YB + "/view.jsp?id=7&notice=1&copy=2"


# --- Hanweb recordset ------------------------------------------------------------------------------

HANWEB_EXPECTED = [
    ("http://edu.shandong.gov.cn/art/2026/7/20/art_11982_10412345.html", "关于做好2026年全省教育系统网络安全工作的通知",
     dt.date(2026, 7, 20)),
    ("http://edu.shandong.gov.cn/art/2026/7/8/art_11982_10411002.html", "山东省教育厅关于公布智慧教育示范校认定结果的通知",
     dt.date(2026, 7, 8)),
    ("http://edu.shandong.gov.cn/art/2026/6/30/art_11982_10409876.html", "关于征集教育数字化转型典型案例的通知",
     dt.date(2026, 6, 30)),
]


@pytest.mark.parametrize("name", ["hanweb_column.html", "hanweb_column_escaped.html"])
def test_hanweb_recordset_cdata_escaped_and_bare_records(name: str) -> None:
    found = links(name, SHANDONG, "hanweb")
    assert [(link.url, link.title, link.date) for link in found] == HANWEB_EXPECTED


def test_hanweb_dataproxy_dates_split_across_lines() -> None:
    found = links("hanweb_dataproxy.xml", "http://edu.shandong.gov.cn/module/web/jpage/dataproxy.jsp?page=1",
                  "hanweb")
    assert [link.date for link in found] == [dt.date(2026, 1, 23), dt.date(2026, 1, 5)]
    assert found[0].url == "http://edu.shandong.gov.cn/art/2026/1/23/art_11982_10380011.html"


def test_hanweb_rendered_container() -> None:
    text = ('<html><body><div class="default_pgContainer"><li><a href="/art/2026/7/20/art_11982_1.html" '
            'title="关于开展网络安全检查的通知">关于开展网络安全…</a><span>2026-07-20</span></li></div>'
            '<span class="default_pgTotalPage">9</span></body></html>')
    found = html_links(text, SHANDONG, source(SHANDONG, "hanweb").list)
    assert found == [Link("http://edu.shandong.gov.cn/art/2026/7/20/art_11982_1.html", "关于开展网络安全检查的通知",
                          dt.date(2026, 7, 20))]


# --- Tianjin onclick -------------------------------------------------------------------------------


def test_tianjin_links_in_onclick() -> None:
    url = "https://jy.tj.gov.cn/ZWGK_52172/TZGG/"
    found = links("tj_onclick_list.html", url, list={"item": "ul.common-list-right-list li",
                                                      "title": "p.list-content", "date": "p.list-date"})
    assert [link.url for link in found] == [
        "https://jy.tj.gov.cn/ZWGK_52172/TZGG/202607/t20260701_1234567.html",
        "https://jy.tj.gov.cn/ZWGK_52172/TZGG/202606/t20260618_1230011.html",
        "https://jy.tj.gov.cn/ZWGK_52172/TZGG/202606/t20260605_1228800.html",
    ]
    assert found[0].title == "市教委关于开展2026年中小学网络安全教育周活动的通知"
    assert [link.date for link in found] == [dt.date(2026, 7, 1), dt.date(2026, 6, 18), dt.date(2026, 6, 5)]


def test_date_inside_the_title_does_not_beat_the_date_element() -> None:
    text = ('<ul id="list"><li><a href="./a.html"><span>关于2026年7月1日起启用新平台的通知</span></a>'
            '<span>2026-06-20</span></li></ul>')
    assert html_links(text, MOE_YB, source(MOE_YB).list)[0].date == dt.date(2026, 6, 20)


def test_entry_without_date_element_reads_a_date_next_to_the_link() -> None:
    text = '<ul id="list"><li><a href="./a.html">通知</a> [2026/07/02]</li></ul>'
    found = html_links(text, MOE_YB, source(MOE_YB, list={"date": "em"}).list)
    assert found[0].date == dt.date(2026, 7, 2)


# --- feeds ------------------------------------------------------------------------------------------


def test_rss_feed() -> None:
    found = feed_links((PAGES / "feed_rss.xml").read_bytes(), "https://jyt.example.gov.cn/tzgg/")
    assert found == [
        Link("https://jyt.example.gov.cn/tzgg/202607/t20260721_9001.html", "关于开展教育系统网络安全应急演练的通知",
             dt.date(2026, 7, 21)),  # 17:30 GMT is already the next day in Beijing
        Link("https://jyt.example.gov.cn/tzgg/202607/t20260710_9000.html", "关于推广“智慧作业”应用的通知",
             dt.date(2026, 7, 10)),
    ]


def test_atom_feed() -> None:
    found = feed_links((PAGES / "feed_atom.xml").read_bytes(), "https://jw.example.gov.cn/xxgk/")
    assert [(link.url, link.date) for link in found] == [
        ("https://jw.example.gov.cn/xxgk/202607/t20260722_501.html", dt.date(2026, 7, 22)),
        ("https://jw.example.gov.cn/xxgk/202607/t20260701_499.html", dt.date(2026, 7, 1)),
    ]


@pytest.mark.parametrize("name", ["feed_bomb.xml", "feed_xxe.xml"])
def test_feeds_declaring_entities_are_refused(name: str) -> None:
    assert feed_links((PAGES / name).read_bytes(), "https://jyt.example.gov.cn/tzgg/") == []


def test_entity_bomb_in_utf16_is_refused_too() -> None:
    data = (PAGES / "feed_bomb.xml").read_text(encoding="utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    assert feed_links(data.encode("utf-16"), "https://jyt.example.gov.cn/tzgg/") == []


def test_feed_with_an_external_dtd_but_no_entities_is_read() -> None:
    data = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            b'"http://127.0.0.1:9/rss-0.91.dtd"><rss version="0.91"><channel><title>t</title><item>'
            b"<title>a</title><link>https://jyt.example.gov.cn/a.html</link></item></channel></rss>")
    assert [link.url for link in feed_links(data, "https://jyt.example.gov.cn/")] == ["https://jyt.example.gov.cn/a.html"]


@pytest.mark.parametrize("data", [b"", b"not xml at all", b"<rss><channel><item><title>a & b</title>", b"\xff\xfe\x00"])
def test_broken_feeds_do_not_crash(data: bytes) -> None:
    assert isinstance(feed_links(data, "https://jyt.example.gov.cn/"), list)


def test_feed_source_goes_through_links_for() -> None:
    data = (PAGES / "feed_rss.xml").read_bytes()
    listing = SimpleNamespace(text=data.decode("utf-8"), url="https://jyt.example.gov.cn/tzgg/rss.xml", content=data)
    found = links_for(listing, source("https://jyt.example.gov.cn/tzgg/rss.xml", "feed"))
    assert len(found) == 2


# --- gkmlpt JSON ----------------------------------------------------------------------------------

GD_API = "https://edu.gd.gov.cn/gkmlpt/api/all/2866?page=1&sid=200045"


@pytest.mark.parametrize("name", ["gkmlpt_api.json", "gkmlpt_api_pre.html"])
def test_gkmlpt_json_and_json_in_pre(name: str) -> None:
    listing = SimpleNamespace(text=page(name), url=GD_API, content=None)
    found = links_for(listing, source(GD_API, "gkmlpt"))
    assert [(link.url, link.date) for link in found] == [
        ("https://edu.gd.gov.cn/gkmlpt/content/4/4512/post_4512345.html", dt.date(2026, 7, 23)),
        ("https://edu.gd.gov.cn/gkmlpt/content/4/4511/post_4511000.html", dt.date(2026, 7, 1)),
    ]
    assert found[0].title == "广东省教育厅关于做好2026年教育系统网络安全工作的通知"


@pytest.mark.parametrize("text", ["", "{", "[]", '{"articles": null}', "<html><pre>oops</pre></html>"])
def test_gkmlpt_garbage_gives_no_links(text: str) -> None:
    listing = SimpleNamespace(text=text, url=GD_API, content=None)
    assert links_for(listing, source(GD_API, "gkmlpt")) == []


# --- pagination ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [MOE_YB, MOE_YB + "/", MOE_YB + "/index.html"])
def test_trs_page_urls_index_1_is_page_two(url: str) -> None:
    assert page_urls(source(url), 3) == [url, MOE_YB + "/index_1.html", MOE_YB + "/index_2.html"]


def test_page_urls_page_one_only() -> None:
    assert page_urls(source(MOE_YB + "/"), 1) == [MOE_YB + "/"]
    assert page_urls(source(SHANDONG, "hanweb"), 3) == [SHANDONG]  # no pagination rule: page 1 only


def test_gkmlpt_page_urls() -> None:
    urls = page_urls(source(GD_API, "gkmlpt"), 3)
    assert urls[0] == GD_API
    assert urls[1:] == ["https://edu.gd.gov.cn/gkmlpt/api/all/2866?sid=200045&page=2",
                        "https://edu.gd.gov.cn/gkmlpt/api/all/2866?sid=200045&page=3"]
