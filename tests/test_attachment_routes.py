"""Routes see attachments, end to end through the command line: poll a fixture site whose notice
names a school only in its XLSX list (and another only in its PDF), deliver to a real SMTP server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import cli
from support.files import docx_bytes, pdf_bytes, xlsx_bytes
from support.sites import Notice, Site, base_url, serve
from support.smtp import mailto, parts, smtp_server

XLSX_SCHOOL = "河东省青松实验中学"
PDF_SCHOOL = "柳岸镇中心小学"
BODY = ("河教信函〔2025〕44号\n各市教育局：\n经学校申报、专家评审，现将智慧校园试点学校名单予以公布（见附件）。\n"
        "请各试点学校于12月26日前提交建设方案。\n河东省教育厅\n2025年12月2日")
LINKS = ('<p><a href="/col/files/list.xlsx">附件1：试点学校名单.xlsx</a></p>'
         '<p><a href="/col/files/plan.pdf">附件2：建设指南.pdf</a></p>'
         '<p><a href="/col/files/form.docx">附件3：申报表.docx</a></p>')
OTHER = Notice("6002", "关于开展教师数字素养培训的通知", "各校：请组织教师参加数字素养培训，名单见附件。", 0,
               '<p><a href="/col/files/teachers.xlsx">附件：参训名单.xlsx</a></p>')


@pytest.fixture
def world(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    site = Site("col", "河东省教育厅", [Notice("6001", "河东省教育厅关于公布智慧校园试点学校名单的通知", BODY, 1, LINKS)])
    files = tmp_path / "www" / "col" / "files"
    files.mkdir(parents=True)
    (files / "list.xlsx").write_bytes(xlsx_bytes([("序号", "学校", "类别"), (1, "河东省实验小学", "小学"),
                                                 (2, f"<b>{XLSX_SCHOOL}</b>", "初中")]))
    (files / "plan.pdf").write_bytes(pdf_bytes(["建设指南", f"联系学校：{PDF_SCHOOL}"]))
    (files / "form.docx").write_bytes(docx_bytes(["申报表"]))
    (files / "teachers.xlsx").write_bytes(xlsx_bytes([("姓名", "学校"), ("李老师", XLSX_SCHOOL)]))
    with serve(tmp_path / "www") as server, smtp_server() as box:
        site.write(tmp_path / "www")
        (tmp_path / "sources.yml").write_text(
            yaml.safe_dump([site.catalog_entry(base_url(server), "test-col", "陕西")], allow_unicode=True), "utf-8")
        config = {
            "database_url": database_url, "sources": {"builtin": False, "files": ["sources.yml"]},
            "channels": {"school": [mailto(box, "school@test.local")], "town": [mailto(box, "town@test.local")]},
            "routes": [{"name": "my-school", "keywords": [XLSX_SCHOOL], "notify": ["school"]},
                       {"name": "my-town", "keywords": [PDF_SCHOOL], "notify": ["town"]},
                       {"name": "school-weekly", "keywords": [XLSX_SCHOOL], "notify": ["weekly"], "mode": "digest"}],
            "http": {"min_delay": 0, "retries": 0},
        }
        (tmp_path / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("EDU_MONITOR_CONFIG", str(tmp_path / "config.yml"))
        yield {"box": box, "site": site, "root": tmp_path / "www", "base": base_url(server)}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_school_named_only_in_an_attachment_alerts_once_naming_the_attachment_and_its_line(world) -> None:
    box = world["box"]
    run("poll")
    run("deliver")
    (school,) = box.to("school@test.local")
    (town,) = box.to("town@test.local")
    text, html = parts(school)["text/plain"], parts(school)["text/html"]
    assert "智慧校园试点学校名单" in school["Subject"] + text
    assert "附件《试点学校名单.xlsx》中：2 <b>河东省青松实验中学</b> 初中" in text
    assert "&lt;b&gt;河东省青松实验中学&lt;/b&gt;" in html and "<b>河东省" not in html  # scraped cells are escaped
    assert "附件《建设指南.pdf》中：联系学校：柳岸镇中心小学" in parts(town)["text/plain"]

    run("poll")  # nothing new: the list answers 304
    world["site"].notices.append(OTHER)  # a second notice naming the school in its own list
    world["site"].write(world["root"])
    run("poll")
    run("poll")
    run("deliver")
    school_mail = box.to("school@test.local")
    assert len(school_mail) == 2 and len(box.to("town@test.local")) == 1  # each notice alerted once
    assert "附件《参训名单.xlsx》中：李老师 河东省青松实验中学" in parts(school_mail[1])["text/plain"]


def test_a_digest_preview_also_finds_the_name_in_the_attachment(world) -> None:
    run("poll")
    out = world["root"].parent / "preview.html"
    run("digest", "--route", "school-weekly", "--since", "1d", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert "智慧校园试点学校名单" in page and "附件《试点学校名单.xlsx》中" in page
    assert "&lt;b&gt;河东省青松实验中学&lt;/b&gt;" in page
    run("digest", "--route", "school-weekly", "--out", str(out))  # the ledger's pending rows say the same
    assert "附件《试点学校名单.xlsx》中" in out.read_text(encoding="utf-8")


def test_items_and_parse_json_carry_the_document_fields(world) -> None:
    run("poll")
    (item,) = [json.loads(line) for line in run("items", "--json").splitlines()]
    assert (item["doc_number"], item["issuer"], item["signed_at"]) == ("河教信函〔2025〕44号", "河东省教育厅", "2025-12-02")
    assert item["deadlines"] == [{"date": "2025-12-26", "text": "请各试点学校于12月26日前提交建设方案。"}]
    assert [(a["name"], a["type"], a["error"]) for a in item["attachments"]] == [
        ("试点学校名单.xlsx", "xlsx", None), ("建设指南.pdf", "pdf", None), ("申报表.docx", "docx", None)]
    url = f"{world['base']}/col/{world['site'].article_path(world['site'].notices[0])}"
    parsed = json.loads(run("parse", "--json", url))["items"][0]
    shared = ("doc_number", "issuer", "signed_at", "deadlines", "attachments")
    assert {k: parsed[k] for k in shared} == {k: item[k] for k in shared}
    texts = run("items", "--attachments-text")
    assert "== 河东省教育厅关于公布智慧校园试点学校名单的通知 · 试点学校名单.xlsx (xlsx)" in texts
    assert f"2\t<b>{XLSX_SCHOOL}</b>\t初中" in texts and f"联系学校：{PDF_SCHOOL}" in texts
    shown = run("parse", url)
    assert "doc_number: 河教信函〔2025〕44号" in shown and "attachment: 试点学校名单.xlsx  (xlsx, " in shown
