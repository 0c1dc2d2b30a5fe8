"""Property tests: no input crashes the list and article readers, and chrome never leaks into text."""

from __future__ import annotations

import datetime as dt
import html

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from monitor.catalog import Source, _apply_preset, load_presets
from monitor.extract import extract_article
from monitor.htmltext import _CHROME_LINE, block_text, parse_day, parse_html, tidy_lines
from monitor.listing import html_links

URL = "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/202608/t20260818_1447148.html"
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _source(preset: str) -> Source:
    entry = {"id": "p", "name": "属性测试", "region": "全国", "url": URL, "preset": preset}
    return Source.model_validate(_apply_preset(entry, load_presets()))


TRS, HANWEB = _source("trs"), _source("hanweb")

# Pieces of the markup government CMSs produce, broken ones included, mixed with arbitrary text.
TOKENS = st.sampled_from([
    "<p>", "</p>", "<div class=TRS_Editor>", "<div class='moe-detail-box'>", "</div>", "<ul id=list>", "<li>",
    "</li>", "<dl id=list><dd>", "<a href='./202607/t20260720_1.html' title='网络安全'>", "<a onclick=\"f('/x.html')\">",
    "<a href='javascript:;'>", "</a>", "<span>", "</span>", "2026-07-20", "12-31", "02-29", "2026-\n01-\n23",
    "<script>var a='<p>';</script>", "<style>p{}</style>", "<!--", "-->", "<![CDATA[", "]]>", "<record>", "</record>",
    "&lt;record&gt;", "<base href='::'>", "<base href='http://[::1'>", "<meta name=PubDate content='2026-02-30 25:00'>",
    "<meta name=ArticleTitle content='标题'>", "<table><tr><td>索引号：</td><td>", "</td></tr></table>",
    "<h1>标题</h1>", "<br>", "&nbsp;", "\u3000", "\u2028", "\x0b", "版权所有", "责任编辑", "<?xml version='1.0'?>",
    "<a href='./W0202607.pdf' oldsrc='/p/附件.pdf'>", "<html>", "<body>", "</body>", "<pre>{\"articles\": []}</pre>",
])
MARKUP = st.lists(st.one_of(TOKENS, st.text(max_size=20)), max_size=40).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=300), MARKUP)


@PROPS
@given(ANY_TEXT)
def test_extract_article_never_crashes(text: str) -> None:
    for source in (TRS, HANWEB):
        article = extract_article(text, URL, source, None)
        assert isinstance(article.text, str)
        assert "" not in article.text.split("\n") or article.text == ""


@PROPS
@given(ANY_TEXT)
def test_html_links_never_crash(text: str) -> None:
    for source in (TRS, HANWEB):
        for link in html_links(text, URL, source.list, today=dt.date(2027, 1, 1)):
            assert link.url.startswith(("http://", "https://"))
            assert link.date is None or link.date <= dt.date(2027, 1, 1) or link.date.year >= 2026


@PROPS
@given(ANY_TEXT)
def test_block_text_has_no_empty_lines(text: str) -> None:
    root = parse_html(text)
    if root is None:
        return
    out = block_text(root)
    assert "" not in out.split("\n") or out == ""
    assert all(line.strip() for line in out.splitlines())
    assert all(line == line.strip() for line in out.split("\n"))


@PROPS
@given(st.text(max_size=60), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_parse_day_never_crashes_and_month_day_is_never_in_the_future(text: str, today: dt.date) -> None:
    day = parse_day(text, today)
    assert day is None or isinstance(day, dt.date)


@PROPS
@given(st.integers(1, 12), st.integers(1, 31), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_month_day_dates_are_the_latest_past_day(month: int, day: int, today: dt.date) -> None:
    found = parse_day(f"{month:02d}-{day:02d}", today)
    if found is None:
        return
    assert found <= today
    assert (found.month, found.day) == (month, day)
    assert today - found < dt.timedelta(days=366 * 4 + 1)


# Paragraph text drawn from characters that chrome lines are made of, so that joins could forge one.
PARAGRAPH_CHARS = st.sampled_from(list("版权所有责任编辑打印本页关闭窗口分享到扫一扫相关新闻当前位置您的浏览次数主办单位：:()（）【】ICP备证公网安"
                                       "教育信息化网络安全数据平台工作通知各省市2026年7月20日 ,，。、.abcXYZ0123456789"))
PARAGRAPH = st.text(PARAGRAPH_CHARS, min_size=1, max_size=40)
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ArticleTitle" content="教育信息化工作月报">
<title>教育信息化工作月报 - 中华人民共和国教育部政府门户网站</title></head><body>
<div class="moe-position">当前位置：<a href="/">首页</a> &gt; <a href="../">工作月报</a></div>
<div class="moe-detail-box"><h1>教育信息化工作月报</h1><div class="moe-detail-shuxing">2026-07-20　来源：科技与信息化司</div>
<div class=TRS_Editor>{paragraphs}</div><div id="detail-editor">（责任编辑：张三）</div></div>
<div id="moe-detail-page-set">【打印】【关闭】 分享到：</div><div id="moeCode">扫一扫在手机打开当前页</div>
<dl class="relnews"><dt>相关新闻</dt><dd><a href="./a.html">教育部召开会议</a></dd></dl>
<div class="moe_footer"><p>主办单位：中华人民共和国教育部</p><p>版权所有 京ICP备00000000号 京公网安备00000000000000号</p></div>
</body></html>"""


@PROPS
@given(st.lists(PARAGRAPH, min_size=1, max_size=8))
def test_chrome_never_leaks_when_the_paragraphs_hold_none(paragraphs: list[str]) -> None:
    lines = [tidy_lines(p) for p in paragraphs]
    assume(not any(_CHROME_LINE.search(line) for line in lines if line))
    page = PAGE.format(paragraphs="".join(f"<p>{html.escape(p)}</p>" for p in paragraphs))
    text = extract_article(page, URL, TRS, None).text
    assert not any(_CHROME_LINE.search(line) for line in text.split("\n"))
    expected = [line for line in lines if line]
    if len("".join(expected)) >= 20:  # long enough to be taken as the body (shorter ones go to trafilatura)
        assert text.split("\n") == expected
