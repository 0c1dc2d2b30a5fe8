"""Rendering: every format shows the same facts, groups the digest by label and region, and keeps
scraped text inert — whatever a government page puts in a title."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.render import (
    AlertItem,
    DeadlineNote,
    digest_groups,
    digest_html,
    display_title,
    md_escape,
    render_digest,
    render_instant,
    render_operator,
    render_reminder,
    safe_url,
    slack_escape,
)

START, END = datetime(2024, 6, 2, 0, 0, tzinfo=UTC), datetime(2024, 6, 3, 0, 0, tzinfo=UTC)
FORMATS = ("markdown", "slack", "html", "text")
ATTACKS = [
    "<script>alert(1)</script>通知",
    "点击[这里](javascript:alert(1))领取",
    "标题](javascript:alert(1))",
    "<!channel> <@U123> <http://evil.example|官方通知>",
    '"><img src=x onerror=alert(1)>',
    "**粗体** _斜_ `code` # 标题 > 引用 | 表格",
]


def item(title: str = "教育App专项治理", labels: list[str] | None = None, region: str | None = "甘肃",
         url: str = "http://jyt.gansu.gov.cn/a/1.html", **kw) -> AlertItem:
    labels = ["app_governance"] if labels is None else labels
    fields = dict(text="省教育厅部署教育App备案和专项治理，共排查1209家企业。", section=None, labels=labels,
                  evidence={label: ["教育App", "备案"] for label in labels}, region=region, date="2024-06-01",
                  date_end=None, figures=[{"text": "1209家", "value": 1209, "unit": "家"}],
                  document_title="关于开展教育App专项治理的通知", document_url=url, source_id="gansu",
                  source_name="甘肃省教育厅", published_at=START)
    fields.update(kw)
    return AlertItem(title=title, **fields)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)
        self.hrefs += [v for k, v in attrs if k == "href"]


def parsed(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_instant_message_shows_title_labels_region_figures_evidence_and_source(fmt: str) -> None:
    message = render_instant([item()], "apps-now", fmt)
    for fact in ("教育App专项治理", "教育App治理", "甘肃", "2024-06-01", "1209家", "备案", "甘肃省教育厅"):
        assert fact in message.body, (fmt, fact)
    assert message.title == "【教育App治理】教育App专项治理"


def test_the_digest_groups_by_label_in_taxonomy_order_then_region_and_puts_unlabelled_last() -> None:
    items = [item("B", ["policy_document"], "浙江"), item("A", ["security_incident", "policy_document"], "北京"),
             item("C", ["policy_document"], "全国"), item("D", [], None)]
    groups = digest_groups(items)
    assert [(g["name"], g["count"]) for g in groups] == [("网络安全事件", 1), ("政策文件", 2), ("其他", 1)]
    assert [region for region, _ in groups[1]["regions"]] == ["全国", "浙江"]
    text = render_digest(items, "daily", START, END, "text").body
    assert text.index("网络安全事件") < text.index("政策文件") < text.index("其他")


def test_the_html_digest_is_a_self_contained_page() -> None:
    message = render_digest([item(), item("平台上线", ["platform_launch"], "四川")], "daily", START, END, "html")
    tags = parsed(message.body)
    assert message.body_format == "html" and message.body.startswith("<!DOCTYPE html>")
    assert not {"script", "style", "link", "img", "iframe"} & tags.tags and "class" not in tags.attrs
    assert "max-width:640px" in message.body and 'name="viewport"' in message.body
    assert "教育App治理 1" in message.body and "平台上线 1" in message.body  # counts per label
    assert digest_html([item()], "daily", START, END).startswith("<!DOCTYPE html>")


def test_an_empty_digest_says_so() -> None:
    assert "本期没有新的条目" in render_digest([], "daily", START, END, "html").body


@pytest.mark.parametrize("title", ATTACKS)
def test_injection_in_titles_stays_inert_in_every_format(title: str) -> None:
    evil = item(title, text=title, source_name=title, evidence={"app_governance": [title]}, doc_number=title,
                deadlines=[{"date": "2025-12-20", "text": title}], attachment_match={"name": title, "line": title})
    for render in (lambda f: render_instant([evil], "r", f), lambda f: render_digest([evil], "r", START, END, f)):
        html = render("html").body
        assert parsed(html).tags <= {"html", "head", "meta", "title", "body", "div", "h1", "h2", "h3", "p", "span", "a",
                                     "br"}
        assert all(h.startswith("http://jyt.gansu.gov.cn") for h in parsed(html).hrefs)
        markdown = render("markdown").body
        assert re.findall(r"\]\(([^)]*)\)", markdown) == ["http://jyt.gansu.gov.cn/a/1.html"]
        slack = render("slack").body
        label = slack_escape(title).replace("|", "｜")
        assert re.findall(r"<([^>]*)>", slack) == [f"http://jyt.gansu.gov.cn/a/1.html|{label}"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_notice_shows_its_number_deadlines_and_the_attachment_line_that_matched(fmt: str) -> None:
    notice = item(doc_number="河教信函〔2025〕44号", deadlines=[{"date": "2025-12-26", "text": "请于12月26日前提交方案。"}],
                  attachment_match={"name": "试点学校名单.xlsx", "line": "2\t河东省青松实验中学\t初中"})
    for body in (render_instant([notice], "r", fmt).body, render_digest([notice], "r", START, END, fmt).body):
        assert "2025-12-26（请于12月26日前提交方案。）" in body
        assert "河东省青松实验中学" in body and "试点学校名单" in body
    assert "河教信函〔2025〕44号" in render_instant([notice], "r", fmt).body
    assert "文号" not in render_instant([item()], "r", fmt).body and "附件《" not in render_instant([item()], "r", fmt).body


@pytest.mark.parametrize("title", ATTACKS)
def test_injection_in_reminders_and_upcoming_deadlines_stays_inert_in_every_format(title: str) -> None:
    evil = DeadlineNote(item(title, document_title=title, source_name=title, doc_number=title,
                             attachment_match={"name": title, "line": title}), date(2025, 10, 9), [title])
    for render in (lambda f: render_reminder(evil, "r", f), lambda f: render_digest([], "r", START, END, f, [evil])):
        html = render("html").body
        assert parsed(html).tags <= {"html", "head", "meta", "title", "body", "div", "h1", "h2", "p", "span", "a", "br"}
        assert all(h.startswith("http://jyt.gansu.gov.cn") for h in parsed(html).hrefs) and parsed(html).hrefs
        assert re.findall(r"\]\(([^)]*)\)", render("markdown").body) == ["http://jyt.gansu.gov.cn/a/1.html"]
        label = slack_escape(title).replace("|", "｜")
        assert re.findall(r"<([^>]*)>", render("slack").body) == [f"http://jyt.gansu.gov.cn/a/1.html|{label}"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_reminder_and_the_digests_upcoming_section_name_the_notice_number_day_and_sentence(fmt: str) -> None:
    notice = item(doc_number="甘教电〔2025〕9号", page_url="https://monitor.example.org/items/7")
    note = DeadlineNote(notice, date(2025, 10, 9), ["请于10月9日前报送。", "逾期不再受理。"])
    reminder = render_reminder(note, "due-soon", fmt)
    digest = render_digest([], "daily", START, END, fmt, [note]).body
    for body in (reminder.body, digest):
        assert "关于开展教育App专项治理的通知" in body and "甘教电〔2025〕9号" in body and "2025-10-09（周四）" in body
        assert "请于10月9日前报送。" in body and "逾期不再受理。" in body
    assert reminder.title == "【截止提醒】10月9日截止：关于开展教育App专项治理的通知"
    assert "即将截止（1）" in digest and "即将截止" not in render_digest([], "daily", START, END, fmt).body
    if fmt != "text":  # plain text shows URLs, the others link the title to the item's page
        assert "https://monitor.example.org/items/7" in reminder.body and "https://monitor.example.org/items/7" in digest
    else:
        assert "详情：https://monitor.example.org/items/7" in reminder.body


def test_links_only_for_http_and_https() -> None:
    for url in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//evil.example/x", "vbscript:x"):
        for fmt in ("markdown", "slack", "html"):
            body = render_instant([item(url=url)], "r", fmt).body
            assert url not in body and "](" not in body and "href" not in body and "<http" not in body


def test_operator_notices_escape_the_errors_they_quote() -> None:
    message = render_operator("源失效：gansu", "HTTP 500 <html>\n第二行", "markdown")
    assert "＜html＞" in message.body and "第二行" in message.body
    assert "&lt;html&gt;" in render_operator("x", "<html>", "html").body


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_markdown_escape_leaves_no_markup(text: str) -> None:
    out = md_escape(text)
    assert not set(out) & set("\\`*_[]()#<>|!~{}\n\r")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_slack_escape_leaves_no_angle_brackets_or_bare_ampersands(text: str) -> None:
    out = slack_escape(text)
    assert "<" not in out and ">" not in out and "\n" not in out
    assert re.sub(r"&(amp|lt|gt);", "", out).count("&") == 0


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1))
def test_any_title_stays_inert_in_html_markdown_and_slack(title: str) -> None:
    evil = item(title)
    html = render_instant([evil], "r", "html").body
    tags = parsed(html)
    assert "script" not in tags.tags and tags.hrefs == ["http://jyt.gansu.gov.cn/a/1.html"] * 2
    markdown = render_instant([evil], "r", "markdown").body
    assert re.findall(r"\]\(([^)]*)\)", markdown) == ["http://jyt.gansu.gov.cn/a/1.html"]
    slack = render_instant([evil], "r", "slack").body
    assert len(re.findall(r"<", slack)) == 1


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_safe_url_returns_only_http_links_that_cannot_close_a_link(text: str) -> None:
    for candidate in (text, "http://a.example/" + text, "javascript:" + text):
        url = safe_url(candidate)
        assert url is None or (re.match(r"https?://", url, re.I) and not set(url) & set("()[]<>\"' |\n\\`{}"))


def test_a_provincial_entry_titled_only_by_its_province_gets_its_first_words() -> None:
    entry = item(title="黑龙江", region="黑龙江",
                 text="省教育厅印发《关于加强网络安全漏洞通报整改工作的通知》，明确各单位整改要求。其余略。")
    assert display_title(entry) == "黑龙江：省教育厅印发《关于加强网络安全漏洞通报整改工作的通知》，明确各单位整改要求"
    long = item(title="北京", region="北京", text="市教委" + "召开网络安全工作会议" * 6)
    assert display_title(long).endswith("…") and len(display_title(long)) == len("北京：") + 40 + 1
    message = render_instant([entry], "security-now", "markdown")
    assert "黑龙江：省教育厅印发" in message.title and "黑龙江：省教育厅印发" in message.body
    assert display_title(item()) == "教育App专项治理"  # an ordinary title is left alone
