"""Properties of the understanding step over generated input: folding is idempotent, plain articles
lose no text, labels come from the fixed set with evidence, and enrichment never crashes."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.classify import classify
from monitor.enrich import figures, find_date, regions_mentioned
from monitor.normalize import for_matching
from monitor.taxonomy import LABELS, REGIONS
from monitor.understand import understand

WORDS = st.sampled_from(["教育", "信息化", "网络安全", "平台", "学校", "数据", "资源", "建设", "管理", "应用",
                         "服务", "师生", "推进", "工作", "开展", "检查", "防护", "系统", "智慧", "课程"])
SENTENCE = st.lists(WORDS, min_size=3, max_size=12).map(lambda ws: "".join(ws) + "。")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=4).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_folding_for_matching_is_idempotent(text: str) -> None:
    once = for_matching(text)
    assert for_matching(once) == once


@settings(max_examples=100, deadline=None)
@given(st.lists(PARAGRAPH, min_size=1, max_size=6))
def test_a_plain_article_loses_no_paragraph(paragraphs: list[str]) -> None:
    parsed = understand("\n".join(paragraphs), title="关于推进教育信息化工作的通知")
    kept = "\n".join(f"{item.title}\n{item.text}" for item in parsed.items)
    squeezed = re.sub(r"\s+", "", kept)
    for paragraph in paragraphs:
        assert paragraph in squeezed


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=300))
def test_labels_are_from_the_taxonomy_and_carry_evidence(title: str, text: str) -> None:
    labels, evidence = classify(title, text)
    assert set(labels) <= set(LABELS)
    assert set(evidence) == set(labels) and all(evidence[label] for label in labels)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789年月日至—-底截万亿%．.个所省市北京甘肃 ，。"), max_size=80))
def test_enrichment_never_crashes_and_answers_in_shape(text: str) -> None:
    start, end = find_date(text, "2024-03")
    for day in (start, end):
        assert day is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", day)
    for figure in figures(text):
        assert figure["text"] and figure["text"] in text and isinstance(figure["value"], int | float)
    assert set(regions_mentioned(text)) <= set(REGIONS)


CN = "一二三四五六七八九十"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.lists(WORDS, min_size=2, max_size=4).map("".join), PARAGRAPH),
                         min_size=1, max_size=4), min_size=1, max_size=4))
def test_work_points_keep_every_numbered_task(sections: list[list[tuple[str, str]]]) -> None:
    lines, number = [], 0
    for s, tasks in enumerate(sections):
        lines.append(f"{CN[s]}、{WORDS_HEADINGS[s % len(WORDS_HEADINGS)]}")
        for heading, body in tasks:
            number += 1
            lines.append(f"{number}.{heading}。{body}")
    parsed = understand("\n".join(lines), title="2026年教育信息化和网络安全工作要点")
    kept = re.sub(r"\s+", "", "".join(f"{item.title}{item.text}" for item in parsed.items))
    assert parsed.kind == "work_points"
    for tasks in sections:
        for _, body in tasks:
            assert body in kept


WORDS_HEADINGS = ["加强教育信息化顶层设计", "提升网络安全防护能力", "推进数字教育资源建设", "深化教育数据治理"]


PROVINCE_NAMES = ["北京", "河北省", "内蒙古自治区", "甘肃", "广东省", "新疆维吾尔自治区"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(WORDS, min_size=2, max_size=4).map("".join), PARAGRAPH), min_size=1, max_size=5),
       st.lists(st.tuples(st.sampled_from(PROVINCE_NAMES), PARAGRAPH), min_size=1, max_size=4,
                unique_by=lambda pair: pair[0]))
def test_a_monthly_report_keeps_every_entry_and_every_province_paragraph(
        entries: list[tuple[str, str]], provinces: list[tuple[str, str]]) -> None:
    lines = ["2031年5月教育信息化和网络安全工作月报", "★教育信息化重点工作进展"]
    lines += [f"{heading} {body}" for heading, body in entries]
    lines += ["★各地工作动态"] + [f"{name} {body}" for name, body in provinces]
    parsed = understand("\n".join(lines))
    kept = re.sub(r"\s+", "", "".join(f"{item.title}{item.text}" for item in parsed.items))
    assert parsed.kind == "monthly_report"
    for _, body in entries + provinces:
        assert body in kept
    regions = {item.region for item in parsed.items if item.section == "各地工作动态"}
    assert len(regions) == len(provinces), "one item per province paragraph, each with its province"
