"""`sources check ID_OR_URL [--json]` and `sources list --json`, run through the real command line
against fixture sites on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml
from click.testing import CliRunner, Result

from monitor.catalog import load_catalog
from monitor.cli import cli
from support.sites import Notice, Site, base_url, serve

DETECT = Path(__file__).parent / "fixtures" / "detect"
BODY = "各学校：\n请做好校园网络安全值守工作，发现异常及时报告。"


@pytest.fixture
def world(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """A TRS-style column with articles (and a copy outside the catalog), a bare fixture list page, and a
    config whose catalog has a selector entry, a URL-only entry and an entry whose selectors broke."""
    monkeypatch.chdir(tmp_path)
    www = tmp_path / "www"
    site = Site("tzgg", "某省教育厅", [Notice(f"81{i}", f"关于做好第{i}季度校园网络安全值守工作的通知", BODY, age_days=i)
                                   for i in range(1, 4)])
    with serve(www) as server:
        base = base_url(server)
        site.write(www)
        Site("xwzx", "某省教育厅", site.notices).write(www)  # the same column at a URL the catalog does not know
        (www / "bare" / "zwgk" / "tzgg").mkdir(parents=True)
        shutil.copy(DETECT / "trs_split.html", www / "bare" / "zwgk" / "tzgg" / "index.html")
        (www / "empty").mkdir()
        (www / "empty" / "index.html").write_text("<html><body><p>栏目建设中</p></body></html>", encoding="utf-8")
        broken = {**site.catalog_entry(base, "sel-broken", "甘肃"), "list": {"item": "div.gone li"}}
        catalog = [site.catalog_entry(base, "sel-ok", "甘肃"), broken,
                   {"id": "url-only", "name": "某省教育厅 通知公告", "region": "甘肃", "url": f"{base}/tzgg/",
                    "every": "12h", "robots": False}]
        (tmp_path / "sources.yml").write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
        config = {"database_url": database_url, "sources": {"builtin": False, "files": ["sources.yml"]},
                  "http": {"min_delay": 0, "retries": 0}}
        (tmp_path / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("EDU_MONITOR_CONFIG", str(tmp_path / "config.yml"))
        yield {"base": base, "tmp": tmp_path}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_json(result: Result) -> dict:
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    return json.loads(line)


def test_check_a_url_outside_the_catalog_reads_it_by_detection(world: dict) -> None:
    url = f"{world['base']}/bare/zwgk/tzgg/"
    answer = one_json(run("sources", "check", url, "--json"))
    want = yaml.safe_load((DETECT / "expected.yml").read_text(encoding="utf-8"))["trs_split.html"]["links"]
    assert answer["url"] == url and answer["method"] == "detected" and answer["id"] is None
    assert answer["links"] == [{"url": urljoin(url, e["url"]), "title": e["title"], "date": e["date"]} for e in want]


def test_check_a_url_prints_the_table_and_a_catalog_entry_that_loads(world: dict) -> None:
    url = f"{world['base']}/xwzx/"
    result = run("sources", "check", url)
    assert result.exit_code == 0, result.output
    assert "3 link(s)" in result.stdout and "by automatic detection" in result.stdout
    assert "关于做好第1季度校园网络安全值守工作的通知" in result.stdout and "first article:" in result.stdout
    suggested = result.stdout.split("suggested catalog entry (check region, name and notes):\n", 1)[1]
    suggested = suggested.split("\nfirst article:", 1)[0]
    path = world["tmp"] / "mine.yml"
    path.write_text(suggested, encoding="utf-8")
    (entry,) = load_catalog(builtin=False, files=[path])
    assert entry.url == url and entry.list.item is None and entry.min_links == 3


def test_check_a_catalog_entry_by_id_uses_its_selectors_or_says_they_drifted(world: dict) -> None:
    good = one_json(run("sources", "check", "sel-ok", "--json"))
    assert good["method"] == "selectors" and good["id"] == "sel-ok" and good["drift"] is None
    assert len(good["links"]) == 3 and all(len(link["date"]) == 10 for link in good["links"])
    drifted = one_json(run("sources", "check", "sel-broken", "--json"))
    assert drifted["method"] == "detected" and "selectors found 0" in drifted["drift"]
    assert [link["url"] for link in drifted["links"]] == [link["url"] for link in good["links"]]
    assert one_json(run("sources", "check", "url-only", "--json"))["method"] == "detected"


def test_check_exit_statuses_stay_as_they_were(world: dict) -> None:
    empty = run("sources", "check", f"{world['base']}/empty/", "--json")
    assert empty.exit_code == 1 and json.loads(empty.stdout)["links"] == []
    unknown = run("sources", "check", "no-such-source")
    assert unknown.exit_code == 1 and "unknown source id" in unknown.output
    gone = run("sources", "check", f"{world['base']}/nothing-here/")
    assert gone.exit_code == 1 and "404" in gone.output


def test_sources_list_json_one_object_per_line_with_health(world: dict) -> None:
    assert run("db", "upgrade").exit_code == 0
    assert run("poll", "sel-ok", "url-only").exit_code == 0
    result = run("sources", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"sel-ok", "sel-broken", "url-only"}
    keys = {"id", "name", "region", "url", "enabled", "kind", "preset", "every", "status", "last_success", "failures"}
    assert all(keys <= set(row) for row in rows.values())
    assert rows["sel-ok"]["status"] == "ok" and rows["sel-ok"]["last_success"] and rows["sel-ok"]["failures"] == 0
    assert rows["url-only"]["list"] == "detected" and rows["url-only"]["preset"] is None
    assert rows["url-only"]["every"] == "12h" and rows["sel-ok"]["every"] == "1h"
    assert rows["sel-broken"]["status"] == "never polled" and rows["sel-broken"]["last_success"] is None
