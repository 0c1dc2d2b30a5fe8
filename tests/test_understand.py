"""understand(): the API and JSON contract, both scripts alike, defaults, and no crash on any input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import opencc
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import labelmodel
from monitor.understand import ParsedDocument, ParsedItem, _understand, understand

REPORT = """2031年12月教育信息化和网络安全工作月报
【摘要】多地推进智慧校园建设。
★教育信息化重点工作进展
资源平台应用 截至2031年底，平台注册用户达到1200万人。12月5-7日，举办平台应用培训班。
信息系统安全监测 (略)
★相关工作资讯
数字教材研讨会 12月20日，教育部在北京召开数字教材研讨会，发布《数字教材建设指南》。
★各地工作动态
甘肃 12月3日，省教育厅召开网络安全工作会议，部署等级保护测评。
新疆生产建设兵团 兵团印发《教育数据管理办法》。
版权所有：某某 京ICP备00000000号
"""
ITEM_KEYS = {"seq", "section", "title", "text", "labels", "evidence", "region", "regions_mentioned", "date",
             "date_end", "figures", "redacted"}


def test_api_shape_and_json_contract() -> None:
    doc = understand(REPORT)
    assert isinstance(doc, ParsedDocument) and all(isinstance(i, ParsedItem) for i in doc.items)
    data = doc.to_json()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert {"title", "kind", "period", "region", "items"} <= set(data)
    assert (data["kind"], data["period"], data["region"]) == ("monthly_report", "2031-12", "全国")
    assert all(set(item) >= ITEM_KEYS for item in data["items"])
    assert [i["seq"] for i in data["items"]] == list(range(1, len(data["items"]) + 1))


def test_items_are_enriched() -> None:
    items = {i.title: i for i in understand(REPORT).items}
    res = items["资源平台应用"]
    assert (res.date, res.date_end) == ("2031-12-31", None)
    assert res.figures == [{"text": "1200万人", "value": 12000000, "unit": "人"}]
    assert "digital_resources" in res.labels and "training" in res.labels
    assert items["信息系统安全监测"].redacted and items["信息系统安全监测"].labels == ["cybersecurity"]
    meeting = items["数字教材研讨会"]
    assert meeting.region == "全国" and meeting.regions_mentioned == ["北京"]
    assert {"meeting", "policy_document", "digital_resources"} <= set(meeting.labels)
    assert meeting.doc_titles == ["数字教材建设指南"]
    gansu = items["甘肃"]
    assert (gansu.region, gansu.date, gansu.section) == ("甘肃", "2031-12-03", "各地工作动态")
    assert items["新疆生产建设兵团"].region == "兵团"


def test_traditional_copy_gets_identical_labels_regions_and_dates() -> None:
    simplified = understand(REPORT)
    traditional = understand(opencc.OpenCC("s2t").convert(REPORT))
    assert traditional.items[0].text != simplified.items[0].text  # stored text keeps its script

    def facts(doc: ParsedDocument) -> list[tuple]:
        return [(i.labels, i.region, i.date, i.date_end, i.section, [f["value"] for f in i.figures])
                for i in doc.items]

    assert facts(traditional) == facts(simplified)
    assert (traditional.kind, traditional.period, traditional.region) == ("monthly_report", "2031-12", "全国")


def test_catalog_region_and_published_date_are_defaults() -> None:
    doc = understand("新闻正文：召开全市教育信息化工作会议，部署12月8日的培训。", title="会议召开",
                     region="甘肃", published=dt.date(2031, 12, 9))
    assert doc.kind == "article" and doc.region == "甘肃" and doc.period == "2031"
    assert doc.items[0].region == "甘肃" and doc.items[0].title == "会议召开"
    assert doc.items[0].date == "2031-12-08"


def test_to_json_serialises_every_field() -> None:
    doc = understand(REPORT)
    shared = {"doc_number": None, "issuer": None, "signed_at": None, "deadlines": [], "attachments": []}
    assert doc.to_json()["items"][0] == dataclasses.asdict(doc.items[0]) | shared


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("★☆一二三是、.．（）()1234567890 \n年月日至底截略?</p>省市甘肃兵团会议培训《》，。"),
               max_size=300))
def test_structure_like_junk_never_raises(text: str) -> None:
    doc = _understand(text, None, None, None, labelmodel.load_default())
    assert doc.kind in ("monthly_report", "work_points", "plan", "article")


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=500))
def test_arbitrary_text_never_raises(text: str) -> None:
    _understand(text, None, None, None, labelmodel.load_default())


def test_empty_and_binary_input() -> None:
    assert understand("").items == []
    doc = understand(bytes(range(256)).decode("latin-1") * 20)
    assert doc.kind == "article"


def test_module_prints_parse_json(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(REPORT.encode("utf-8") + b"\xff\xfe")
    out = subprocess.run([sys.executable, "-m", "monitor.understand", str(path)], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    data = json.loads(out.stdout)
    assert data["kind"] == "monthly_report" and len(data["items"]) == 5
