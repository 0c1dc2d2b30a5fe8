"""Event dates of articles and notices through understand(): stamps, years, deadlines, signatures."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor import layout
from monitor.understand import understand

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "dates.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_event_date(case: dict) -> None:
    parsed = understand(case["page"])
    assert parsed.kind == "article"
    (item,) = parsed.items
    assert (item.date, item.date_end) == (case["date"], case.get("date_end"))


def test_the_headline_is_the_line_above_the_stamp_not_the_column_name() -> None:
    page = "通知公告\n当前位置：首页 > 通知公告\n关于开展校园网安全检查的通知\n发布日期：2024-05-20 点击：3\n各学院："
    assert layout.headline(page) == "关于开展校园网安全检查的通知"
    assert understand(page).title == "关于开展校园网安全检查的通知"


def test_a_page_without_a_stamp_has_no_layout_headline() -> None:
    assert layout.headline("学校召开信息化工作会议\n3月15日，学校召开会议。") is None
