"""Article pages of every family → title, publish time, publisher, chrome-free text, 信息公开 fields, attachments."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.catalog import Source, _apply_preset, load_presets
from monitor.charset import decode_html
from monitor.extract import Article, extract_article
from monitor.listing import Link

PAGES = Path(__file__).parent / "fixtures" / "pages"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MOE_ART = "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/202608/t20260818_1447148.html"
# Chrome that must never reach the text: footer, sharing, editor credit, related news, breadcrumb, date/source line.
CHROME = ("责任编辑", "打印", "关闭", "分享到", "扫一扫", "相关新闻", "版权所有", "ICP", "公网安备", "网站标识码",
          "主办单位", "当前位置", "您现在的位置", "来源：", "浏览次数")
YUEBAO_PARAGRAPHS = [
    "【摘要】6月，教育系统围绕数字化战略行动扎实推进各项任务，平台应用持续深化，网络安全防护能力稳步提升。",
    "★国家教育数字化战略行动",
    "智慧教育平台 6月，国家智慧教育公共服务平台新增优质课程资源一千二百余门，累计访问量再创新高。",
    "数字校园建设 多地教育部门组织开展中小学数字校园建设现场交流，推广网络学习空间应用典型经验。",
    "★网络安全",
    "攻防演练 教育系统组织开展暑期网络安全攻防演练，覆盖部属高校和省级教育行政部门，发现并整改一批安全隐患。",
    "数据安全 部分省份启动教育数据分类分级试点工作，制定重要数据目录和安全保护措施。",
    "会议时间：2026-09-01 09:30，截止日期：2026年8月25日。",
    "附件：2026年6月工作月报全文.pdf",
]


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def source(url: str, preset: str | None = "trs", **extra: Any) -> Source:
    entry = {"id": "t", "name": "测试栏目", "region": "全国", "url": url, "preset": preset, **extra}
    return Source.model_validate(_apply_preset(entry, load_presets()))


def extract(html: str, url: str = MOE_ART, preset: str | None = "trs", link: Link | None = None,
            **extra: Any) -> Article:
    return extract_article(html, url, source(url, preset, **extra), link)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def assert_no_chrome(text: str) -> None:
    for word in CHROME:
        assert word not in text, word
    assert "" not in text.split("\n")


# --- MOE news / 司局 page ------------------------------------------------------------------------


def test_moe_news_page() -> None:
    article = extract(page("moe_yuebao_article.html"))
    assert article.title == "2026年6月教育信息化和网络安全工作月报"
    assert article.published_at == at(2026, 7, 20, 8, 37)
    assert article.published_at.utcoffset() == dt.timedelta(hours=8)
    assert article.publisher == "科技与信息化司"
    assert article.text.split("\n") == YUEBAO_PARAGRAPHS
    assert_no_chrome(article.text)
    assert article.meta == {"栏目": "工作月报"}


def test_moe_news_page_attachments_resolve_against_the_article() -> None:
    attachments = extract(page("moe_yuebao_article.html")).attachments
    assert attachments == [
        {"url": "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/202608/W020260818612345678902.pdf",
         "name": "2026年6月工作月报全文.pdf"},
        {"url": "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/202608/W020260818612345678903.docx",
         "name": "省级填报模板.docx"},  # an icon link: the name comes from oldsrc
    ]


def test_links_named_as_attachments_count_without_a_file_suffix_but_a_downloads_menu_does_not() -> None:
    html = ("<html><body><div class=nav><a href='/xzzx/'>附件下载</a></div><h1>关于公布名单的通知</h1>"
            "<div class=TRS_Editor><p>各单位：现将名单公布如下。</p>"
            "<p><a href='/down.jsp?id=7'>附件1：入选名单</a></p><p><a href='/down.jsp?id=8'>附件二、申报表</a></p>"
            "<p><a href='./t1.html'>相关阅读</a></p></div></body></html>")
    found = extract_article(html, "https://jyt.example.gov.cn/tzgg/t1.html", source(MOE_ART), None).attachments
    assert found == [{"url": "https://jyt.example.gov.cn/down.jsp?id=7", "name": "入选名单"},
                     {"url": "https://jyt.example.gov.cn/down.jsp?id=8", "name": "申报表"}]


def test_file_links_are_found_however_their_href_is_written() -> None:
    """Only links that can be files are resolved; what urljoin and urlsplit make of an href still decides."""
    html = ("<html><body><div class=TRS_Editor><p>正文。</p>"
            "<p><a href='../fj/%E5%90%8D%E5%8D%95.PDF'>名单</a></p><p><a href='./a.p&#9;df'>表</a></p>"
            "<p><a href='?page=2'>下一页</a></p><p><a href='mailto:a@example.gov.cn'>联系</a></p></div></body></html>")
    found = extract_article(html, "https://jyt.example.gov.cn/tzgg/t1.html", source(MOE_ART), None).attachments
    assert found == [{"url": "https://jyt.example.gov.cn/fj/%E5%90%8D%E5%8D%95.PDF", "name": "名单"},
                     {"url": "https://jyt.example.gov.cn/tzgg/a.pdf", "name": "表"}]
    as_file = extract_article(html, "https://jyt.example.gov.cn/tzgg/notice.pdf", source(MOE_ART), None).attachments
    assert {"url": "https://jyt.example.gov.cn/tzgg/notice.pdf?page=2", "name": "下一页"} in as_file


def test_moe_date_source_variant_takes_the_date_line() -> None:
    article = extract(page("moe_article_date_source.html"))
    assert article.published_at == at(2026, 7, 19, 16, 5)
    assert article.publisher == "科技与信息化司"
    assert article.text.split("\n") == YUEBAO_PARAGRAPHS
    assert_no_chrome(article.text)


def test_moe_body_directly_in_the_detail_box() -> None:
    article = extract(page("moe_article_in_box.html"))
    assert article.title == "教育部办公厅关于开展2026年教育系统网络安全专项检查的通知"
    assert article.published_at == at(2026, 5, 12, 15, 20)
    assert article.publisher == "教育部办公厅"
    lines = article.text.split("\n")
    assert lines[0] == "各省、自治区、直辖市教育厅（教委），各部属高等学校："
    assert lines[-2:] == ["教育部办公厅", "2026年5月8日"]
    assert len(lines) == 6
    assert article.title not in article.text
    assert_no_chrome(article.text)


def test_moe_detail_box_without_meta_uses_its_own_date_line() -> None:
    html = page("moe_article_in_box.html").replace('<meta name="PubDate" content="2026-05-12 15:20">', "")
    assert extract(html).published_at == at(2026, 5, 12, 12)


def test_moe_old_template() -> None:
    article = extract(page("moe_article_old.html"))
    assert article.title == "教育部部署推进高校校园网络安全防护工作"
    assert article.published_at == at(2020, 2, 21, 12)
    assert article.publisher == "新华网"
    assert article.text.split("\n") == [
        "近日，教育部召开视频会议，部署推进高校校园网络安全防护工作。",
        "会议要求，各高校要健全网络安全责任体系，加强重要信息系统和数据的安全保护。",
        "会议强调，要加强网络安全人才培养，提升师生网络安全意识和防护技能。",
    ]


def test_press_conference_page_without_body_container_falls_back_to_automatic_extraction() -> None:
    article = extract(page("moe_live.html"), url="https://www.moe.gov.cn/fbh/live/2026/56120/")
    assert article.title == "教育部举行新闻发布会介绍教育数字化战略行动进展"
    assert article.published_at == at(2026, 5, 28, 10)
    assert article.text.startswith("5月28日上午，教育部举行新闻发布会")
    assert "下一步，教育部将继续推进教育数字化转型" in article.text
    assert_no_chrome(article.text)


def test_metadata_only_in_meta_tags() -> None:
    article = extract(page("moe_article_meta_only.html"))
    assert article.title == "教育部关于推广第三批教育信息化应用典型案例的通知"
    assert article.published_at == at(2026, 3, 16, 12)
    assert article.publisher == "科技与信息化司"
    assert article.meta == {"栏目": "通知"}
    assert article.text.split("\n") == ["各省、自治区、直辖市教育厅（教委）：",
                                        "为总结推广教育信息化应用经验，现将第三批典型案例予以公布，请结合实际学习借鉴。"]


# --- published-at precedence -----------------------------------------------------------------------


def test_meta_pubdate_beats_the_date_line() -> None:
    html = page("moe_yuebao_article.html").replace("2026-07-20　来源", "2026-07-18　来源")
    assert extract(html).published_at == at(2026, 7, 20, 8, 37)


def test_publishdate_meta_when_pubdate_is_missing() -> None:
    html = page("moe_yuebao_article.html").replace('<meta name="PubDate" content="2026-07-20 08:37">', "")
    assert extract(html).published_at == at(2026, 7, 20, 12)


def test_no_date_anywhere_leaves_none_for_the_list_date() -> None:
    html = (page("moe_yuebao_article.html")
            .replace('<meta name="PubDate" content="2026-07-20 08:37">', "")
            .replace('<meta name="publishdate" content="2026-07-20">', "")
            .replace('<div class="moe-detail-shuxing">2026-07-20　来源：科技与信息化司</div>', ""))
    article = extract(html)
    assert article.published_at is None  # not the 会议时间 in the body, not the script's timestamp
    assert article.publisher == "科技与信息化司"  # <meta name="source">


def test_document_date_in_the_policy_table_is_not_the_publish_date() -> None:
    html = page("moe_policy.html").replace('<meta name="PubDate" content="2026-02-21 09:00">', "")
    assert extract(html).published_at is None


def test_data_source_in_the_body_is_not_the_publisher() -> None:
    html = ("<html><body><h1>通知</h1><div class=TRS_Editor><p>数据来源：某统计平台。本年度教育信息化投入持续增长。</p>"
            "</div></body></html>")
    assert extract(html).publisher is None


def test_detail_date_selector() -> None:
    html = '<html><body><span class="when">2026年07月09日 14:30</span><div class=TRS_Editor><p>正文内容：开展网络安全检查工作。</p></div></body></html>'
    assert extract(html, detail={"date": "span.when"}).published_at == at(2026, 7, 9, 14, 30)


def test_link_title_fills_in_and_a_cut_link_title_does_not_beat_the_h1() -> None:
    html = "<html><body><div class=TRS_Editor><p>各高校：现将网络安全工作安排通知如下。</p></div></body></html>"
    assert extract(html, link=Link(MOE_ART, "关于网络安全工作安排的通知")).title == "关于网络安全工作安排的通知"
    with_h1 = html.replace("<body>", "<body><h1>关于网络安全工作安排的通知</h1>")
    assert extract(with_h1, link=Link(MOE_ART, "关于网络安全…")).title == "关于网络安全工作安排的通知"


# --- MOE srcsite policy document ---------------------------------------------------------------------


def test_moe_policy_page_fields_kept_out_of_the_text() -> None:
    url = "https://www.moe.gov.cn/srcsite/A16/s3342/202602/t20260221_1431007.html"
    article = extract(page("moe_policy.html"), url=url)
    assert article.title == "教育部办公厅关于印发《2026年教育信息化和网络安全工作要点》的通知"
    assert article.published_at == at(2026, 2, 21, 9)
    assert article.meta["索引号"] == "360A16-07-2026-0001-1"
    assert article.meta["发文字号"] == "教科信厅函〔2026〕3号"
    assert article.meta["发文机关"] == "教育部办公厅"
    assert article.meta["成文日期"] == "2026-02-20"
    for label in ("信息索引", "生成日期", "发文机构", "信息类别", "360A16-07-2026-0001-1"):
        assert label not in article.text
    lines = article.text.split("\n")
    assert lines[0] == "教科信厅函〔2026〕3号"
    assert lines.index("一、工作思路") < lines.index("二、核心目标") < lines.index("三、重点任务")
    assert_no_chrome(article.text)
    assert article.attachments == [
        {"url": "https://www.moe.gov.cn/srcsite/A16/s3342/202602/W020260221700000000001.pdf",
         "name": "2026年教育信息化和网络安全工作要点.pdf"},
        {"url": "https://www.moe.gov.cn/srcsite/A16/s3342/202602/W020260221700000000002.xlsx", "name": "任务分工表"},
    ]


# --- provincial TRS (GB18030), Hanweb, gkmlpt ------------------------------------------------------------


def test_provincial_trs_article_in_gb18030_with_only_a_meta_charset() -> None:
    html = decode_html((PAGES / "shaanxi_article_gb18030.html").read_bytes())
    url = "https://jyt.shaanxi.gov.cn/gk/fdnr/gsgggk/202607/t20260731_3200001.html"
    article = extract(html, url=url)
    assert article.title == "陕西省教育厅关于公布2026年度教育信息化优秀案例的通知"
    assert article.published_at == at(2026, 7, 31, 17, 45)
    assert article.publisher == "陕西省教育厅"
    assert article.meta["索引号"] == "11610000016000000X/2026-00456"
    assert article.meta["发文机关"] == "陕西省教育厅"
    assert article.meta["成文日期"] == "2026年07月28日"
    assert "镕铸匠心" in article.text and "𠮷" in article.text
    assert "索引号" not in article.text and "成文日期" not in article.text
    assert article.text.split("\n")[0] == "各设区市教育局，杨凌示范区教育局，韩城市教育局，各高等学校："
    assert article.attachments == [{"url": "https://jyt.shaanxi.gov.cn/gk/fdnr/gsgggk/202607/P020260731569052975164.pdf",
                                    "name": "2026年度教育信息化优秀案例名单.pdf"}]
    assert_no_chrome(article.text)


def test_hanweb_article_zoom() -> None:
    article = extract(page("hanweb_article.html"), url="http://edu.shandong.gov.cn/art/2026/7/20/art_11982_10412345.html",
                      preset="hanweb")
    assert article.title == "关于做好2026年全省教育系统网络安全工作的通知"
    assert article.published_at == at(2026, 7, 20, 16, 12)
    assert article.publisher == "山东省教育厅"
    assert article.text.split("\n") == [
        "各市教育局，各高等学校：",
        "为进一步压实网络安全工作责任，现就做好2026年全省教育系统网络安全工作通知如下。",
        "一、落实网络安全等级保护制度，完成重要信息系统定级备案和测评整改。",
        "二、加强数据安全管理，建立教育数据资产台账，规范数据共享使用。",
    ]


def test_hanweb_article_without_meta_reads_its_info_line() -> None:
    html = page("hanweb_article.html").replace('<meta name="PubDate" content="2026-07-20 16:12">', "")
    html = html.replace('<meta name="ContentSource" content="山东省教育厅">', "")
    article = extract(html, url="http://edu.shandong.gov.cn/art/2026/7/20/art_11982_10412345.html", preset="hanweb")
    assert article.published_at == at(2026, 7, 20, 16, 12)
    assert article.publisher == "山东省教育厅"


def test_gkmlpt_article() -> None:
    article = extract(page("gkmlpt_article.html"), url="https://edu.gd.gov.cn/gkmlpt/content/4/4512/post_4512345.html",
                      preset="gkmlpt")
    assert article.published_at == at(2026, 7, 23, 8)
    assert article.meta["索引号"] == "11440000006939000X/2026-00123"
    assert article.meta["成文日期"] == "2026-07-21"
    assert article.text.split("\n") == [
        "各地级以上市教育局，各普通高等学校：",
        "现就做好我省教育系统网络安全工作有关事项通知如下：一是健全责任体系；二是强化监测预警；三是开展应急演练。",
    ]


def test_chrome_inside_the_body_container_is_dropped_but_content_mentioning_it_stays() -> None:
    html = ("<html><body><div id=zoom><p>请扫一扫下方二维码报名参加网络安全知识竞赛。</p>"
            "<p>【打印本页】【关闭窗口】</p><p>扫一扫在手机打开当前页</p><div class=bdsharebuttonbox>分享到：微信</div>"
            "<p>（责任编辑：赵六）</p><p>本网转载文章仅供参考，不代表本网观点。</p></div></body></html>")
    article = extract(html, url="http://edu.shandong.gov.cn/art/2026/7/1/art_1_2.html", preset="hanweb")
    assert article.text == "请扫一扫下方二维码报名参加网络安全知识竞赛。"


def test_adhoc_source_reads_a_moe_page() -> None:
    article = extract_article(page("moe_yuebao_article.html"), MOE_ART, Source.adhoc(MOE_ART), None)
    assert article.text.split("\n") == YUEBAO_PARAGRAPHS


def test_a_bad_remove_selector_keeps_the_builtin_chrome_list() -> None:
    html = page("moe_article_in_box.html")
    article = extract(html, detail={"body": ".moe-detail-box", "remove": "p:::nonsense"})
    assert "责任编辑" not in article.text and "发布日期" not in article.text


# --- garbled input ---------------------------------------------------------------------------------


GARBAGE = [
    "",
    "   \n\t ",
    "\x00\x01\x02",
    "<html><body><p>" + "鏁欒偛閮ㄥ叧浜庡姞寮虹綉缁滃畨鍏ㄧ殑閫氱煡" * 20 + "</p></body></html>",  # mojibake
    "<html><body><div class=TRS_Editor><p>??????????????????????</p><p>网络????安全</p></div></body></html>",
    "<html><body><div class=TRS_Editor></p></p>正文</div><p>网络安全工作通知如下。</p></p></body></html>",
    "<?xml version='1.0' encoding='gbk'?><html><body><p>声明编码的页面</p></body></html>",
    "\ufeff<?xml version='1.0' encoding='utf-8'?><p>带BOM</p>",
    "<!-- only a comment -->",
    "<div>" * 5000 + "深层嵌套" + "</div>" * 10,
    "<table><tr><td>索引号：</td></tr></table><a href='./x.pdf'></a><a href='::::'>bad</a>",
    "<meta name=PubDate content='2026-99-99 99:99'><meta name=ArticleTitle content=''>",
    "\udcff\ud800 lone surrogates",
]


@pytest.mark.parametrize("html", GARBAGE)
def test_garbled_pages_never_crash(html: str) -> None:
    article = extract(html)
    assert isinstance(article.text, str)
    assert "" not in article.text.split("\n") or article.text == ""


def test_binary_junk_never_crashes() -> None:
    data = bytes(range(256)) * 40 + os.urandom(4096)
    article = extract(decode_html(data))
    assert isinstance(article, Article)


def test_stray_closing_tags_keep_paragraphs_in_order() -> None:
    html = ("<html><body><div class=TRS_Editor><p>第一段：开展网络安全检查。</p></p><p>第二段：加强数据保护。</p>"
            "</span><p>第三段：做好应急处置。</div></body></html>")
    assert extract(html).text.split("\n") == ["第一段：开展网络安全检查。", "第二段：加强数据保护。", "第三段：做好应急处置。"]


def test_five_megabyte_page() -> None:
    paragraph = "<p>教育系统网络安全工作稳步推进，数据安全保护能力持续提升。</p>\n"
    html = page("moe_yuebao_article.html").replace(
        "<p>　　【摘要】", paragraph * (5_000_000 // len(paragraph.encode())) + "<p>　　【摘要】")
    assert len(html.encode()) > 5_000_000
    article = extract(html)
    assert article.title == "2026年6月教育信息化和网络安全工作月报"
    assert article.text.endswith(YUEBAO_PARAGRAPHS[-1])
    assert not re.search("版权所有|责任编辑", article.text)
