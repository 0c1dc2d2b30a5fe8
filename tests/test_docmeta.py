"""公文 metadata: 发文字号, 发文机关 and 成文日期 from the 信息公开 table, the document's lines and its title."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.cndate import arabic_dates, small_number
from monitor.docmeta import DocMeta, read_meta

SIGNED = """各市（区）教育局，省属各高校：
现将有关事项通知如下。
一、请各单位认真组织实施。
二、工作中遇到的问题及时反馈。
附件：1.推荐汇总表
河东省教育厅
2025年11月20日
（此件主动公开）"""

CN_SIGNED = """各直属单位：
为推进数字校园建设，现开展专项调研。
请按要求填写调研表。
河西省教育厅办公室
二〇二五年十一月二十日"""

JOINT = """各有关单位：
联合开展检查工作。
河东省教育厅
河东省通信管理局
2024年3月5日"""

UNDER_TITLE = """河教信函〔2025〕17号
各市教育局：
请做好有关工作。"""

CITED_ONLY = """各高校：
根据《关于加强数据安全的意见》（教技〔2018〕6号）要求，请开展自查。
按照教技〔2019〕3号文件精神抓好落实。"""

IN_TEXT = """各高校：
现将本厅发文 河教办 [2024] 9 号 转发给你们，请遵照执行。"""

CASES = [
    ("the signature block: issuer and date", SIGNED, "关于开展推荐工作的通知", {},
     DocMeta(None, "河东省教育厅", "2025-11-20")),
    ("a Chinese-numeral signature date", CN_SIGNED, "关于开展数字校园调研的通知", {},
     DocMeta(None, "河西省教育厅办公室", "2025-11-20")),
    ("a joint notice signs with two organisations", JOINT, "关于联合检查的通知", {},
     DocMeta(None, "河东省教育厅 河东省通信管理局", "2024-03-05")),
    ("the number on the line under the title; issuer from the title", UNDER_TITLE,
     "河东省教育厅关于做好网络安全工作的通知", {}, DocMeta("河教信函〔2025〕17号", "河东省教育厅", None)),
    ("the table beats the text", SIGNED, "关于开展推荐工作的通知",
     {"发文字号": "河教函［2025］88号", "发文机关": "河东省教育厅办公室", "成文日期": "2025-11-18"},
     DocMeta("河教函［2025］88号", "河东省教育厅办公室", "2025-11-18")),
    ("a table date in Chinese numerals", "正文。", "通知", {"成文日期": "二〇二五年一月九日"},
     DocMeta(None, None, "2025-01-09")),
    ("citations of other documents are not this one's number", CITED_ONLY, "关于开展自查的通知", {},
     DocMeta(None, None, None)),
    ("half-width brackets and spaces inside the text", IN_TEXT, "转发文件的通知", {},
     DocMeta("河教办[2024]9号", None, None)),
    ("round full-width brackets", "苏教办（2025）3号\n各设区市教育局：\n正文。", "通知", {},
     DocMeta("苏教办（2025）3号", None, None)),
    ("a 令 number", "教育部令第50号\n正文。", "规定", {}, DocMeta("教育部令第50号", None, None)),
    ("a title that is not an organisation's", "正文。", "请大家关于放假的通知", {}, DocMeta(None, None, None)),
    ("a date line with a publish stamp is not a signature", "正文。\n发布日期：2025年11月21日", "通知", {},
     DocMeta(None, None, None)),
    ("nothing at all", "", None, None, DocMeta(None, None, None)),
]


@pytest.mark.parametrize(("case", "text", "title", "table", "expected"), CASES, ids=[c[0] for c in CASES])
def test_read_meta(case: str, text: str, title: str | None, table: dict | None, expected: DocMeta) -> None:
    assert read_meta(text, title, table) == expected


@pytest.mark.parametrize(("written", "value"), [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("三十一", 31),
                                                ("两", 2), ("十十", None), ("一二三", None), ("", None)])
def test_small_numbers(written: str, value: int | None) -> None:
    assert small_number(written) == value


def test_chinese_numeral_dates_become_arabic_and_the_rest_stays() -> None:
    assert arabic_dates("于二〇二五年十二月二十日前，或十二月五号") == "于2025年12月20日前，或12月5日"
    assert arabic_dates("第十一月份没有日子") == "第十一月份没有日子"


def test_understand_repeats_the_document_fields_on_every_item() -> None:
    from monitor.understand import understand

    text = "河教信函〔2025〕21号\n各高校：\n一、请于12月20日前报送推荐表。\n二、请于5个工作日内反馈联系人。\n河东省教育厅\n2025年12月1日"
    doc = understand(text, title="关于推荐数字化案例的通知", published=dt.date(2025, 12, 3),
                     table={"发文机关": "河东省教育厅办公室"})
    rows = doc.to_json()["items"]
    assert rows
    for row in rows:
        assert (row["doc_number"], row["issuer"], row["signed_at"]) == ("河教信函〔2025〕21号", "河东省教育厅办公室",
                                                                        "2025-12-01")
        assert [d["date"] for d in row["deadlines"]] == ["2025-12-20", "2025-12-08"]
        assert row["attachments"] == []


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("〔〕[]()（）【】号令第年月日前止截工作个内请于报送二〇十一三五河教函 各厅：\n0123456789"),
               max_size=200))
def test_junk_never_raises_and_dates_are_real(text: str) -> None:
    from monitor.docmeta import document_fields

    fields = document_fields(text, text[:20], {"成文日期": text[-12:]}, dt.date(2025, 12, 1))
    for value in [fields["signed_at"], *(d["date"] for d in fields["deadlines"])]:
        assert value is None or dt.date.fromisoformat(value)
