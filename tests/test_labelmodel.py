"""The label model: a filter over the rules' candidates that keeps readable evidence."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor import labelmodel
from monitor.taxonomy import LABELS
from monitor.understand import understand

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "labels.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_article_labels(case: dict) -> None:
    (item,) = understand(case["page"]).items
    assert set(case["has"]) <= set(item.labels)
    assert not set(case.get("not") or ()) & set(item.labels)
    assert all(item.evidence[label] for label in item.labels)  # every label says why


def test_the_shipped_model_covers_the_taxonomy_and_is_small() -> None:
    model = labelmodel.load_default()
    assert model is not None and set(model.labels) == set(LABELS)
    assert labelmodel.MODEL_PATH.stat().st_size < 200_000


def test_the_model_only_keeps_candidates() -> None:
    model = labelmodel.Model(tuple(LABELS), tuple(6.0 for _ in LABELS), {})  # says yes to everything
    labels, evidence = labelmodel.refine(model, "标题", "正文", ["meeting"], {"meeting": ["会议"]},
                                         "article", notice=True)
    assert labels == ["policy_document", "meeting"]
    assert evidence == {"policy_document": ["公文"], "meeting": ["会议"]}


def test_without_a_model_the_rules_decide() -> None:
    assert labelmodel.refine(None, "h", "b", ["meeting"], {"meeting": ["会议"]}, "article", False) == \
        (["meeting"], {"meeting": ["会议"]})


def test_a_model_file_with_an_unknown_label_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown label"):
        labelmodel.from_json({"labels": ["weather"], "bias": [0.0], "weights": {}})


def test_training_learns_when_a_cue_is_a_mention() -> None:
    pytest.importorskip("sklearn")
    action = ({"r:meeting", "h:meeting", "l:meeting", "k:article"}, {"meeting"})
    mention = ({"r:meeting", "k:article"}, set())
    model = labelmodel.train([action] * 6 + [mention] * 6, c=3.0)
    assert labelmodel.decide(model, action[0])["meeting"] > 0.7 > 0.3 > labelmodel.decide(model, mention[0])["meeting"]


def test_a_cue_said_once_far_down_a_long_item_is_marked_as_a_mention() -> None:
    body = "学校召开教师大会，部署新学期工作。" + "各年级汇报教学安排。" * 60 + "会上还提到人工智能。"
    feats = labelmodel.features("新学期工作部署", body, {"artificial_intelligence": ["人工智能"]}, "article", False)
    assert {"p2:artificial_intelligence", "c0:artificial_intelligence", "once-long:artificial_intelligence"} <= feats
    lead = labelmodel.features("人工智能课程开课", "人工智能课程今天开课，人工智能教师到位。",
                               {"artificial_intelligence": ["人工智能"]}, "article", False)
    assert {"h:artificial_intelligence", "l:artificial_intelligence", "p0:artificial_intelligence",
            "c1:artificial_intelligence"} <= lead


def test_a_pair_shares_its_labels_cue_features_and_keeps_its_context() -> None:
    feats = {"r:meeting", "h:meeting", "r:training", "h:training", "k:article", "notice"}
    assert set(labelmodel.pair_features(feats, "meeting")) == {
        "meeting|", "meeting|r:meeting", "meeting|r:training", "meeting|k:article", "meeting|notice",
        "*c:k:article", "*c:notice", "h:meeting", "*p:h"}


def test_what_one_label_learns_about_mentions_carries_over_to_another() -> None:
    pytest.importorskip("sklearn")
    action = [({f"r:{lab}", f"h:{lab}", f"p0:{lab}"}, {lab}) for lab in ("meeting", "training")]
    mention = [({f"r:{lab}", f"p3:{lab}", f"once-long:{lab}"}, set()) for lab in ("meeting", "training")]
    model = labelmodel.train((action + mention) * 4, c=3.0)
    unseen = {"r:infrastructure", "p3:infrastructure", "once-long:infrastructure"}
    assert labelmodel.decide(model, unseen)["infrastructure"] < 0.3 < \
        labelmodel.decide(model, {"r:infrastructure", "h:infrastructure", "p0:infrastructure"})["infrastructure"]


def test_the_action_named_first_is_marked() -> None:
    feats = labelmodel.features("市教育局举办数据安全培训班", "会上还通报了数据共享工作进展。",
                                {"training": ["培训班"], "data_governance": ["数据安全", "数据共享"],
                                 "meeting": ["会上"]}, "article", False)
    assert "e:data_governance" in feats and "e:training" not in feats and "e:meeting" not in feats
