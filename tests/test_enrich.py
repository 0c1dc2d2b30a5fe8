"""Enrichment: regions, dates with inferred years, figures, document titles and periods."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.enrich import (
    doc_titles,
    document_region,
    figures,
    find_date,
    infer_period,
    leading_actor,
    lost_digit,
    province_of,
    regions_mentioned,
    repair_year,
)


@pytest.mark.parametrize(("name", "region"), [
    ("内蒙古自治区", "内蒙古"), ("广西壮族自治区", "广西"), ("新疆维吾尔自治区", "新疆"),
    ("新疆生产建设兵团", "兵团"), ("陜西", "陕西"), ("陝西省", "陕西"), ("寧夏", "宁夏"), ("黑龍江", "黑龙江"),
    ("北京市", "北京"), ("深圳", None), ("", None),
])
def test_province_names_in_every_form(name: str, region: str | None) -> None:
    assert province_of(name) == region


def test_regions_mentioned_in_order_without_repeats() -> None:
    text = "在浙江杭州召开，江苏、浙江和新疆生产建设兵团参加，广西壮族自治区发言。"
    assert regions_mentioned(text) == ["浙江", "江苏", "兵团", "广西"]


def test_leading_actor() -> None:
    assert leading_actor("5月3日，江苏省教育厅印发通知") == "江苏"
    assert leading_actor("由教育部主办的交流会在贵州召开") == "全国"
    assert leading_actor("在贵州省召开交流会") is None


def test_document_region_skips_summaries() -> None:
    assert document_region("", ["【摘要】江苏召开会议。", "教育部印发通知。"]) == "全国"
    assert document_region("2031年湖南教育信息化工作要点", []) == "湖南"
    assert document_region("", ["一、工作目标", "四川省教育厅"]) is None


@pytest.mark.parametrize(("text", "period", "expected"), [
    ("3月28日，平台开通。", "2031-03", ("2031-03-28", None)),
    ("12月16-18日，会议召开。", "2031-12", ("2031-12-16", "2031-12-18")),
    ("3月15—21日进行公示。", "2031-03", ("2031-03-15", "2031-03-21")),
    ("11月30日至12月1日，大赛举行。", "2031-12", ("2031-11-30", "2031-12-01")),
    ("12月30日至1月2日，集中培训。", "2031-12", ("2031-12-30", "2032-01-02")),
    ("截至3月底，完成备案。", "2031-03", ("2031-03-31", None)),
    ("截至2月底，完成备案。", "2032-02", ("2032-02-29", None)),
    ("截至2030年底，累计开通。", "2031-01", ("2030-12-31", None)),
    ("12月28日，召开总结会。", "2032-01", ("2031-12-28", None)),  # a January report looks back
    ("2030年6月1日印发。", "2031-03", ("2030-06-01", None)),
    ("到2031年底，覆盖率达到90%。", "2031", (None, None)),
    ("请于9月30日前报送。5月6日召开会议。", "2031", ("2031-05-06", None)),
    ("2月30日无效，3月2日有效。", "2031-03", ("2031-03-02", None)),
    ("3月28日，平台开通。", None, (None, None)),
])
def test_dates(text: str, period: str | None, expected: tuple) -> None:
    assert find_date(text, period) == expected


def test_first_date_in_text_order_wins() -> None:
    text = "12月18日，联盟成立。12月16-18日，部署会召开。"
    assert find_date(text, "2031-12") == ("2031-12-18", None)


def test_traditional_dates() -> None:
    assert find_date("截至3月底，備案系統公布名單。", "2031-03") == ("2031-03-31", None)


def test_figures_keep_text_and_value() -> None:
    found = figures("公布了1209家企业的2725个App，1372万教师参加，约占74.4%，浏览量6.94亿次，5430余万条。")
    assert {"text": "1209家", "value": 1209, "unit": "家"} in found
    assert {"text": "2725个", "value": 2725, "unit": "个"} in found
    assert {"text": "1372万教师", "value": 13720000, "unit": "教师"} in found
    assert {"text": "74.4%", "value": 74.4, "unit": "%"} in found
    assert {"text": "6.94亿次", "value": 694000000, "unit": "次"} in found
    assert {"text": "5430余万条", "value": 54300000, "unit": "条"} in found


def test_a_number_naming_a_programme_is_not_a_figure() -> None:
    assert figures("支持985高校和211高校建设，覆盖3万学校") == [{"text": "3万学校", "value": 30000, "unit": "学校"}]


def test_percentage_points_and_bare_ten_thousands() -> None:
    assert figures("上网率提高12.5个百分点，覆盖3万余") == [
        {"text": "12.5个百分点", "value": 12.5, "unit": "个百分点"}, {"text": "3万余", "value": 30000, "unit": ""}]


def test_years_dates_and_ordinals_are_not_figures() -> None:
    assert figures("2031年5月6日召开第二十届大会，推进5G和IPv6。") == []


def test_traditional_figures_keep_the_written_characters() -> None:
    assert figures("共1414起投訴，317733所學校")[0]["text"] == "1414起"
    assert figures("新增10萬個")[0] == {"text": "10萬個", "value": 100000, "unit": "个"}


def test_doc_titles() -> None:
    assert doc_titles("印发《甲方案》《乙办法》，落实《甲方案》。") == ["甲方案", "乙办法"]


def test_periods() -> None:
    assert infer_period("monthly_report", "2031年5月教育信息化工作月报", "") == "2031-05"
    assert infer_period("monthly_report", "", "2031年工作。5月6日召开。截至5月底完成。4月1日印发。") == "2031-05"
    assert infer_period("work_points", "2031年教育信息化工作要点", "") == "2031"
    assert infer_period("article", "", "无日期", dt.date(2030, 7, 1)) == "2030"
    assert infer_period("monthly_report", "", "无日期", dt.date(2030, 7, 1)) == "2030-07"


def test_period_from_issue_date_with_a_lost_digit() -> None:
    body = "规划正文" + "，".join(f"{n}3.任务" for n in (10, 11, 13, 14, 15, 16, 17, 18, 19, 30)) * 3
    text = body + "\n某省教育厅0年5月0日\n到05年，全面建成。"
    assert lost_digit(text) == "2"
    assert infer_period("plan", "某省教育规划", text) == "2022"
    assert repair_year("05", "2") == 2025
    assert repair_year("0", None) is None
