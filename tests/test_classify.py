"""Classifier: table-driven cases in both scripts, evidence, rule loading and validation."""

from __future__ import annotations

from pathlib import Path

import opencc
import pytest
import yaml

from monitor.classify import classify, load_rules, parse_rules
from monitor.taxonomy import LABELS

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "classify.yml").read_text(encoding="utf-8"))
S2T = opencc.OpenCC("s2t")
RULES = Path(__file__).resolve().parents[1] / "monitor" / "rules.yml"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict) -> None:
    labels, evidence = classify(case.get("title", ""), case["text"])
    for label in case.get("has", []):
        assert label in labels, (label, evidence)
        assert evidence[label], label
    for label in case.get("not", []):
        assert label not in labels, (label, evidence)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_traditional_copy_gets_same_labels(case: dict) -> None:
    title, text = case.get("title", ""), case["text"]
    traditional = S2T.convert(text)
    assert classify(S2T.convert(title), traditional)[0] == classify(title, text)[0]


def test_labels_come_in_taxonomy_order_with_evidence() -> None:
    labels, evidence = classify("", "省教育厅召开会议，印发《教育数据管理办法》，举办网络安全技能大赛。")
    assert labels == [lab for lab in LABELS if lab in labels]
    assert set(evidence) == set(labels)
    assert {"policy_document", "data_governance", "meeting", "competition_selection", "cybersecurity"} <= set(labels)
    assert any("《" in cue or "印发" in cue for cue in evidence["policy_document"])


def test_heading_scope_only_counts_in_heading() -> None:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    data["labels"] = {"meeting": {"cues": [{"re": "峰会", "scope": "heading"}]}}
    data["names"]["subjects"] = {}
    rules = parse_rules(data)
    assert classify("教育峰会", "会后交流。", rules=rules)[0] == ["meeting"]
    assert classify("交流", "参加教育峰会。", rules=rules)[0] == []


def test_clause_conditions_limit_a_cue_to_its_clause() -> None:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    data["labels"] = {"training": {"cues": [{"re": "培训", "clause_requires": "举办"}]}}
    data["names"]["subjects"] = {}
    rules = parse_rules(data)
    assert classify("", "举办教师培训。", rules=rules)[0] == ["training"]
    assert classify("", "举办交流活动，加强培训。", rules=rules)[0] == []


def test_rules_are_loaded_once() -> None:
    assert load_rules() is load_rules()


def test_unknown_label_in_rules_is_an_error() -> None:
    data = {"names": {"document_verbs_before": "印发", "document_verbs_after": "发布", "events": "会议",
                      "name_starts": "召开", "subjects": {}},
            "labels": {"not_a_label": {"cues": [{"re": "x"}]}}}
    with pytest.raises(ValueError, match="not_a_label"):
        parse_rules(data)


def test_no_text_no_labels() -> None:
    assert classify("", "") == ([], {})
