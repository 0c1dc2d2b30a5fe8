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
