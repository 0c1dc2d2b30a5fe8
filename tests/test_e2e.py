"""End to end through the command line: poll fixture sites, list items, deliver, send the digest, re-poll."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import cli
from support.sites import Notice, Site, base_url, serve
from support.smtp import mailto, parts, smtp_server

APP_NOTICE = Notice("3001", "关于开展教育App备案核查工作的通知",
                    "各市（州）教育局：\n为规范教育移动互联网应用程序管理，省教育厅决定开展教育App备案核查和专项治理，"
                    "重点排查未备案App和违规收集学生个人信息问题。\n请于6月20日前报送核查结果。", age_days=2)
SECURITY_NOTICE = Notice("3002", "关于做好网络安全等级保护测评工作的通知",
                         "各高等学校：\n请对三级以上信息系统组织开展年度等级保护测评，发现的问题及时整改。", age_days=3)
NEW_NOTICE = Notice("3003", "关于受理教育App投诉举报的通知",
                    "省教育厅开通教育App投诉举报专线，受理家长和师生对教育App强制使用等问题的投诉举报。", age_days=0)
OLD_NOTICE = Notice("2001", "关于召开全省教育信息化工作会议的通知", "定于下周召开全省教育信息化工作会议。", age_days=90)


@pytest.fixture
def world(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):
    """Two fixture sites (UTF-8 and GB18030), an SMTP server, and a config pointing at both."""
    monkeypatch.chdir(tmp_path)
    national = Site("moe", "教育部", [SECURITY_NOTICE, OLD_NOTICE])
    province = Site("gbk", "甘肃省教育厅", [APP_NOTICE], encoding="gb18030")
    with serve(tmp_path / "www") as server, smtp_server() as box:
        base = base_url(server)
        for site in (national, province):
            site.write(tmp_path / "www")
        catalog = [national.catalog_entry(base, "test-moe", "全国"), province.catalog_entry(base, "test-gbk", "甘肃")]
        (tmp_path / "sources.yml").write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
        config = {
            "database_url": database_url,
            "sources": {"builtin": False, "files": ["sources.yml"]},
            "channels": {"ops": [mailto(box, "ops@test.local")], "digest": [mailto(box, "digest@test.local")]},
            "routes": [{"name": "apps-now", "labels": ["app_governance"], "notify": ["ops"], "mode": "instant"},
                       {"name": "daily", "notify": ["digest"], "mode": "digest"}],
            "http": {"min_delay": 0, "retries": 0},
        }
        (tmp_path / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("EDU_MONITOR_CONFIG", str(tmp_path / "config.yml"))
        yield {"tmp": tmp_path, "box": box, "server": server, "province": province}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def stored(*extra: str) -> list[dict]:
    return [json.loads(line) for line in run("items", "--json", *extra).splitlines() if line.strip()]


def test_poll_deliver_digest_and_repoll(world) -> None:
    box, tmp = world["box"], world["tmp"]
    out = run("poll")
    assert "test-moe" in out and "test-gbk" in out
    items = stored()
    urls = {i["document_url"] for i in items}
    assert len(urls) == 3  # the old notice is stored too; it just does not alert
    app = [i for i in items if "app_governance" in i["labels"]]
    assert app and app[0]["region"] == "甘肃" and app[0]["source"] == "test-gbk"
    assert app[0]["evidence"]["app_governance"]
    assert "教育App备案核查" in app[0]["title"] + app[0]["text"]  # GB18030 decoded

    run("deliver")
    assert len(box.to("ops@test.local")) == 1
    run("digest", "--send")
    digests = box.to("digest@test.local")
    assert len(digests) == 1
    body = parts(digests[0])
    assert "text/html" in body and "text/plain" in body
    assert "等级保护" in body["text/html"] and "召开全省教育信息化工作会议" not in body["text/html"]  # old: not fresh

    hits_before = len(world["server"].hits)
    run("poll")
    run("deliver")
    assert len({i["document_url"] for i in stored()}) == 3
    assert len(box.to("ops@test.local")) == 1
    assert len(world["server"].hits) - hits_before == 2  # two conditional list fetches, both 304

    world["province"].notices.append(NEW_NOTICE)
    world["province"].write(tmp / "www")
    run("poll")
    run("deliver")
    assert len({i["document_url"] for i in stored()}) == 4
    ops = box.to("ops@test.local")
    assert len(ops) == 2 and "投诉举报" in " ".join(parts(ops[-1]).values())
    assert [i["title"] for i in stored("--label", "app_governance", "--region", "甘肃", "--limit", "1")]


def test_digest_out_writes_html_without_marking_anything(world) -> None:
    run("poll")
    out_file = world["tmp"] / "preview.html"
    run("digest", "--out", str(out_file))
    assert "等级保护" in out_file.read_text(encoding="utf-8")
    run("digest", "--send")
    assert len(world["box"].to("digest@test.local")) == 1


def test_digest_send_since_is_an_extra_digest_outside_the_ledger(world) -> None:
    assert "nothing sent" in run("digest", "--send", "--since", "7d")  # nothing stored yet: no empty mail
    run("poll")
    run("digest", "--send")
    assert "sent" in run("digest", "--send", "--since", "7d")  # e.g. a new colleague's catch-up
    mails = world["box"].to("digest@test.local")
    assert len(mails) == 2 and "等级保护" in parts(mails[1])["text/html"]
    assert "0 item(s)" in run("digest", "--send")  # the ledger was left alone: nothing pending again
    refused = CliRunner().invoke(cli, ["digest", "--send", "--out", str(world["tmp"] / "x.html")])
    assert refused.exit_code != 0 and "choose one" in refused.output


def test_parse_prints_the_design_json_for_a_fetched_article(world) -> None:
    province = world["province"]
    url = f"{base_url(world['server'])}/gbk/{province.article_path(APP_NOTICE)}"
    data = json.loads(run("parse", "--json", url))
    assert {"title", "kind", "period", "region", "items"} <= data.keys()
    assert data["items"] and "app_governance" in data["items"][0]["labels"]


def test_stored_items_carry_every_field_parse_prints_plus_their_origin(world) -> None:
    province = world["province"]
    parsed = json.loads(run("parse", "--json", f"{base_url(world['server'])}/gbk/{province.article_path(APP_NOTICE)}"))
    run("poll", "test-gbk")
    (item,) = stored()
    assert set(parsed["items"][0]) | {"document_url", "source", "published_at"} <= set(item)
    same = [k for k in parsed["items"][0] if k != "region"]  # a poll also knows the publisher's province
    assert {k: item[k] for k in same} == {k: parsed["items"][0][k] for k in same}, "the same values, stored"
    assert item["region"] == "甘肃" and item["source"] == "test-gbk"


def test_parse_reads_a_saved_gb18030_page_and_a_gb18030_text_file(world) -> None:
    province = world["province"]
    saved = world["tmp"] / "saved.html"
    saved.write_bytes((world["tmp"] / "www" / "gbk" / province.article_path(APP_NOTICE)).read_bytes())
    page = json.loads(run("parse", "--json", str(saved)))
    assert page["items"] and "app_governance" in page["items"][0]["labels"]
    text = world["tmp"] / "notice.txt"
    text.write_bytes("关于开展教育App备案核查工作的通知\n各市教育局：请核查教育App备案情况，共发现12款未备案App。\n"
                     .encode("gb18030"))
    data = json.loads(run("parse", "--json", str(text)))
    assert "备案" in data["title"] + "".join(i["text"] for i in data["items"])
    assert any("app_governance" in i["labels"] for i in data["items"])


def test_a_backfill_says_which_sources_have_no_pagination_rule(world) -> None:
    catalog = yaml.safe_load((world["tmp"] / "sources.yml").read_text(encoding="utf-8"))
    catalog[1]["preset"] = "hanweb"  # Hanweb columns page through a per-site unit id: no rule
    (world["tmp"] / "sources.yml").write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli, ["poll", "--pages", "3"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "test-gbk: no pagination rule" in result.stderr and "test-moe: no pagination" not in result.stderr


def test_sources_check_shows_links_and_the_first_article_and_stores_nothing(world) -> None:
    out = run("sources", "check", "test-gbk")
    assert "test-gbk: 1 link(s)" in out
    assert "关于开展教育App备案核查工作的通知" in out  # the list title, from the title attribute
    assert "published_at: " in out and "publisher:    甘肃省教育厅" in out
    assert "违规收集学生个人信息" in out  # the first article's text, GB18030-decoded
    assert stored() == []


def test_sources_list_shows_health_after_a_poll(world) -> None:
    run("poll", "test-moe")
    listing = run("sources", "list")
    assert "test-moe" in listing and "test-gbk" in listing and "never polled" in listing
    (world["tmp"] / "www" / "gbk" / "index.html").unlink()  # the province's list page disappears
    for _ in range(3):
        run("poll", "test-gbk")
    lines = {line.split()[0]: line for line in run("sources", "list").splitlines()}
    assert "ok (last ok " in lines["test-moe"]
    assert "failing (3 failed poll(s), last error: " in lines["test-gbk"] and "HTTP 404" in lines["test-gbk"]
