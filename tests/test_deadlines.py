"""Deadlines: submission dates, cut-off dates and working-day periods on the Chinese calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.deadlines import find_deadlines
from monitor.workdays import add_workdays, is_workday

D = dt.date

CASES = [
    ("submit before a day in the notice's year", "请于12月20日前将汇总表报送至我处。", D(2025, 11, 20), None,
     [("2025-12-20", "请于12月20日前将汇总表报送至我处。")]),
    ("a year-less January deadline in a December notice is next year's", "请于1月9日前提交。", D(2025, 12, 15), None,
     [("2026-01-09", "请于1月9日前提交。")]),
    ("the publish date stands in for a missing signature", "请于3月1日前上报。", None, D(2024, 2, 20),
     [("2024-03-01", "请于3月1日前上报。")]),
    ("with a weekday and a time", "请务必于2025年12月5日（星期五）下午5:00前提交电子版。", None, None,
     [("2025-12-05", "请务必于2025年12月5日（星期五）下午5:00前提交电子版。")]),
    ("Chinese numerals", "请于二〇二六年一月十日前报送推荐材料", None, None,
     [("2026-01-10", "请于二〇二六年一月十日前报送推荐材料")]),
    ("full-width digits", "请于１２月２０日前报送。", D(2025, 12, 1), None, [("2025-12-20", "请于１２月２０日前报送。")]),
    ("截止时间", "申报截止时间：2025年12月31日17:00。", None, None, [("2025-12-31", "申报截止时间：2025年12月31日17:00。")]),
    ("截止日期为 with an ISO date", "截止日期为2026-01-15", None, None, [("2026-01-15", "截止日期为2026-01-15")]),
    ("a date then 截止", "网上报名于12月1日截止。", D(2025, 11, 3), None, [("2025-12-01", "网上报名于12月1日截止。")]),
    ("two deadlines in one sentence", "请于12月10日前报送名单，12月20日前提交材料。", D(2025, 12, 1), None,
     [("2025-12-10", "请于12月10日前报送名单，12月20日前提交材料。"),
      ("2025-12-20", "请于12月10日前报送名单，12月20日前提交材料。")]),
    ("a goal is not a submission deadline", "到2025年12月31日前建成智慧校园。", None, None, []),
    ("an event date is not a deadline", "会议定于12月12日在西安召开。", D(2025, 12, 1), None, []),
    ("a 截至 statistic is not a deadline", "截至2025年10月31日，全省已接入学校1200所。", None, None, []),
    ("a year-less date with nothing to place it", "请于12月20日前报送。", None, None, []),
    ("an impossible date", "请于2月30日前报送。", D(2025, 1, 5), None, []),
]


@pytest.mark.parametrize(("case", "text", "signed", "published", "expected"), CASES, ids=[c[0] for c in CASES])
def test_find_deadlines(case: str, text: str, signed: dt.date | None, published: dt.date | None,
                        expected: list[tuple[str, str]]) -> None:
    assert find_deadlines(text, signed, published) == [{"date": d, "text": t} for d, t in expected]


def test_working_days_skip_national_day_and_count_the_make_up_sunday() -> None:
    # 2025: Sunday 28 September is a make-up working day; 1–8 October are holidays.
    text = "请在5个工作日内报送。\n请于三个工作日内反馈意见。"
    assert find_deadlines(text, D(2025, 9, 26), D(2025, 9, 29)) == [
        {"date": "2025-10-10", "text": "请在5个工作日内报送。"},
        {"date": "2025-09-30", "text": "请于三个工作日内反馈意见。"},
    ]


def test_working_days_count_from_the_publish_date_without_a_signature() -> None:
    assert find_deadlines("请于2个工作日内提交。", None, D(2025, 5, 30)) == [
        {"date": "2025-06-04", "text": "请于2个工作日内提交。"}]  # 31 May – 2 June: 端午 holidays


def test_working_days_need_a_day_to_count_from() -> None:
    assert find_deadlines("请于5个工作日内提交。", None, None) == []


def test_past_the_calendar_s_last_year_monday_to_friday_count() -> None:
    # chinese_calendar in the lock knows up to 2026; 1 January 2027 is then counted as a working day.
    assert not is_workday(D(2026, 10, 1)) and is_workday(D(2027, 1, 1)) and not is_workday(D(2027, 1, 2))
    assert add_workdays(D(2026, 12, 30), 3) == D(2027, 1, 4)
    assert find_deadlines("请于3个工作日内报送。", D(2026, 12, 30), None) == [
        {"date": "2027-01-04", "text": "请于3个工作日内报送。"}]
