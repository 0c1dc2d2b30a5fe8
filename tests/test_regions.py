"""The actor's region of an article: gazetteer look-ups and the ranking of mentions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from monitor import regions
from monitor.normalize import for_matching
from monitor.taxonomy import PROVINCES
from monitor.understand import understand

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "regions.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_actor_region(case: dict) -> None:
    title = case.get("title") or ""
    assert regions.actor_region(for_matching(f"{title}\n{case['text']}")) == case["region"]


@pytest.mark.parametrize("case", CASES[:4], ids=[c["name"] for c in CASES[:4]])
def test_an_article_item_carries_the_actor_region(case: dict) -> None:
    parsed = understand(f"{case.get('title') or '一则新闻'}\n{case['text']}")
    assert parsed.kind == "article"
    assert [item.region for item in parsed.items] == [case["region"]]


def test_the_gazetteer_maps_every_level_to_a_province() -> None:
    names = regions.gazetteer().names
    assert {names[n] for n in ("温州", "温州市", "安吉县", "恩施", "海淀区", "清华大学")} == {"浙江", "湖北", "北京"}
    assert set(names.values()) <= set(PROVINCES)
    assert "资源" not in names and "县" not in names  # an ordinary word and a placeholder row


def _builder():
    path = Path(__file__).resolve().parents[1] / "monitor" / "data" / "build_gazetteer.py"
    spec = importlib.util.spec_from_file_location("build_gazetteer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_builder_drops_shared_names_and_prefers_the_city() -> None:
    build = _builder()
    rows = [("鼓楼区", "江苏", "county"), ("鼓楼区", "福建", "county"), ("长沙", "湖南", "county-short"),
            ("长沙", "湖南", "prefecture-short"), ("吉林", "吉林", "prefecture-short")]
    assert build.unambiguous(rows) == [("长沙", "湖南", "prefecture-short")]


def test_the_builder_derives_short_forms() -> None:
    build = _builder()
    ethnic = ["土家族", "苗族", "回族"]
    assert build.short_form("恩施土家族苗族自治州", ethnic) == "恩施"
    assert build.short_form("温州市", ethnic) == "温州"
    assert build.short_form("和县", ethnic) is None


def test_the_builder_reads_former_names_that_are_no_current_name(tmp_path: Path) -> None:
    history = tmp_path / "result.csv"
    history.write_text(
        "\ufeff代码,一级行政区,二级行政区,名称,级别,状态,启用时间,变更/弃用时间,新代码\n"
        "420600,湖北省,襄阳市,襄阳市,地级,在用,2010,,\n"
        "420601,湖北省,襄樊市,襄樊市,地级,变更,1981,2010,420600\n"
        "320102,江苏省,直辖,玄武区,县级,变更,1981,2013,320102\n"
        "510200,四川省,重庆市,重庆市,地级,弃用,1981,1997,500000\n"
        "110000,北京市,,北京市,省级,变更,1981,,\n",
        encoding="utf-8",
    )
    rows = _builder().former_divisions(history, current={"玄武区"})
    assert rows == [("襄樊市", "湖北", "former")]
