"""Attachments read from their bytes (sniffed, capped) and through a real poll of a fixture site."""

from __future__ import annotations

import functools
import io
import os
import zipfile
from pathlib import Path

import pytest
from sqlmodel import col, select

from monitor.attachments import read_attachments
from monitor.catalog import Source
from monitor.db import make_engine, session_scope
from monitor.fetch import Fetcher
from monitor.filetext import Limits, read_file, sniff
from monitor.models import AttachmentText, Document
from monitor.pipeline import PollContext, poll
from monitor.settings import AttachmentsConfig, HttpConfig, Settings
from monitor.store import ItemQuery, item_json, query_items
from monitor.understand import understand
from support.files import (
    docx_bytes,
    html_error_page,
    ofd_bytes,
    pdf_bytes,
    scanned_pdf_bytes,
    xlsx_bytes,
    zip_bomb,
)
from support.sites import Notice, Site, base_url, serve

SCHOOL_IN_XLSX = "河东省青松实验中学"
SCHOOL_IN_PDF = "柳岸镇中心小学"
BODY = ("河教信函〔2025〕31号\n各市教育局，省属各高校：\n现将数字校园示范校推荐工作通知如下。\n"
        "一、请于12月20日前将推荐材料报送至我厅。\n二、名单见附件。\n河东省教育厅\n二〇二五年十二月一日")
CAP = 300_000  # http.max_bytes in these tests


@functools.cache  # one workbook: openpyxl stamps the time, so a second build may differ in size
def xlsx_list() -> bytes:
    return xlsx_bytes([("序号", "学校名称", "所在地"), (1, "河东省实验小学", "东城"), (2, SCHOOL_IN_XLSX, "松江")])


# ---- bytes → text ----

def test_each_format_is_read_from_its_bytes_whatever_it_is_called() -> None:
    pdf = read_file(pdf_bytes(["实施方案", f"试点学校：{SCHOOL_IN_PDF}"]), "方案.pdf")
    assert (pdf.type, pdf.error) == ("pdf", None) and SCHOOL_IN_PDF in pdf.text
    word = read_file(docx_bytes(["申报书", "一、基本情况"], [("学校", "联系人"), ("河东一中", "王老师")]), "x.bin")
    assert word.type == "docx" and "一、基本情况" in word.text and "河东一中\t王老师" in word.text
    sheet = read_file(xlsx_list(), "名单.pdf")  # a misleading name changes nothing
    assert sheet.type == "xlsx" and f"2\t{SCHOOL_IN_XLSX}\t松江" in sheet.text.split("\n")
    legacy = read_file("附件说明：请各校填写报名表。".encode("gb18030"), "说明.txt")
    assert (legacy.type, legacy.text) == ("text", "附件说明：请各校填写报名表。")


def test_an_ofd_is_read_page_by_page_in_page_order() -> None:
    pages = [["第一页标题", "正文一"]] + [[f"第{n}页"] for n in range(2, 12)]
    read = read_file(ofd_bytes(pages), "通知.ofd")
    assert (read.type, read.error) == ("ofd", None)
    assert read.text.split("\n")[:3] == ["第一页标题", "正文一", "第2页"] and read.text.endswith("第11页")


def test_a_scanned_pdf_is_recorded_as_having_no_text_layer() -> None:
    read = read_file(scanned_pdf_bytes(pages=3), "扫描件.pdf")
    assert (read.type, read.text) == ("pdf", "")
    assert read.error == "scanned: no text layer (3 page(s) of images)"


def test_an_html_error_page_saved_as_pdf_is_not_a_pdf() -> None:
    read = read_file(html_error_page(), "汇总表.pdf")
    assert (read.type, read.text, read.error) == ("html", "", "not a PDF: the server sent an HTML page")


def test_a_zip_bomb_stops_at_the_unpacked_cap() -> None:
    bomb = zip_bomb(20 * 1024 * 1024)
    assert len(bomb) < 100_000
    read = read_file(bomb, "材料.zip", Limits(max_unpacked=5 * 1024 * 1024))
    assert read.type == "zip" and read.text == ""
    assert read.error == f"zip bomb: unpacks to {20 * 1024 * 1024} bytes, over the {5 * 1024 * 1024}-byte cap"


def test_a_zip_is_read_member_by_member_with_gbk_names() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("XXXX.xlsx", xlsx_list())
        archive.writestr("说明.pdf", pdf_bytes(["填报说明"]))
    gbk = out.getvalue().replace(b"XXXX.xlsx", "名单.xlsx".encode("gb18030"))  # as Chinese Windows writes it
    read = read_file(gbk, "材料.zip")
    assert read.type == "zip" and read.error is None
    assert "【名单.xlsx】" in read.text and SCHOOL_IN_XLSX in read.text and "【说明.pdf】\n填报说明" in read.text


def test_broken_and_unknown_files_are_errors_not_exceptions() -> None:
    assert read_file(b"%PDF-1.7\n garbage", "x.pdf").error.startswith("unreadable pdf")
    assert read_file(b"PK\x03\x04 not really", "x.docx").error == "unreadable: unrecognised file format"
    assert read_file(os.urandom(2000), "x.ofd").error == "unreadable: unrecognised file format"
    assert sniff(b"") == "unknown"


def test_text_is_cut_at_max_chars() -> None:
    rows = [(n, f"第{n}所学校") for n in range(2000)]
    assert len(read_file(xlsx_bytes(rows), "x.xlsx", Limits(max_chars=1000)).text) == 1000


# ---- through a real poll ----

LINKS = {
    "附件1：推荐学校名单.xlsx": "files/list.xlsx",
    "附件2：申报书.docx": "files/form.docx",
    "附件3：实施方案.pdf": "files/plan.pdf",
    "附件4：扫描件.pdf": "files/scan.pdf",
    "附件5：汇总表.pdf": "files/missing.pdf",
    "附件6：视频资料.zip": "files/video.zip",
    "附件7：压缩包.zip": "files/bomb.zip",
    "附件8：填报指南": "files/download.jsp?id=8",
    "附件9：演示文稿.pptx": "files/slides.pptx",
}


def write_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"list.xlsx": xlsx_list(), "form.docx": docx_bytes(["申报书", "学校名称："]),
             "plan.pdf": pdf_bytes(["实施方案", f"首批试点：{SCHOOL_IN_PDF}"]), "scan.pdf": scanned_pdf_bytes(),
             "missing.pdf": html_error_page(), "video.zip": os.urandom(CAP + 1000), "bomb.zip": zip_bomb(8 * 1024 * 1024),
             "download.jsp": docx_bytes(["填报指南：登录平台填写。"]), "slides.pptx": b"PK not fetched"}
    for name, data in files.items():
        (folder / name).write_bytes(data)


def notice_site(root: Path) -> Site:
    links = "".join(f'<p><a href="/col/{href}">{name}</a></p>' for name, href in LINKS.items())
    site = Site("col", "河东省教育厅", [Notice("5001", "河东省教育厅关于推荐数字校园示范校的通知", BODY, 1, links)])
    site.write(root)
    write_files(root / "col" / "files")
    return site


@pytest.fixture
def ctx(database_url: str) -> PollContext:
    settings = Settings(database_url=database_url, http=HttpConfig(min_delay=0, retries=0, read_timeout=2, max_bytes=CAP),
                        attachments=AttachmentsConfig(max_unpacked=4 * 1024 * 1024))
    return PollContext(engine=make_engine(database_url), fetcher=Fetcher(settings.http), routes=[], settings=settings)


def stored(ctx: PollContext) -> tuple[Document, dict[int, str]]:
    with session_scope(ctx.engine) as session:
        doc = session.exec(select(Document).where(col(Document.url).contains("5001"))).one()
        texts = {row.seq: row.text for row in session.exec(select(AttachmentText).where(AttachmentText.document_id == doc.id))}
        session.expunge(doc)
    return doc, texts


def test_a_poll_reads_every_attachment_once_and_stores_what_it_found(tmp_path: Path, ctx: PollContext) -> None:
    with serve(tmp_path / "www") as server:
        site = notice_site(tmp_path / "www")
        source = Source.model_validate(site.catalog_entry(base_url(server), "test-col", "陕西"))
        first = poll(source, ctx)
        server.hits.clear()
        site.notices.append(Notice("5002", "关于假期安全的通知", "各校：注意安全。", 0))
        site.write(tmp_path / "www")
        poll(source, ctx)
    assert first.outcome.ok and first.new_documents == 1
    assert not [hit for hit in server.hits if "/files/" in hit]  # a stored notice's attachments are not fetched again
    doc, texts = stored(ctx)
    by_name = {att["name"]: att for att in doc.attachments}
    assert [att["name"] for att in doc.attachments] == [name.split("：", 1)[1] for name in LINKS]
    facts = {name: (att["type"], att["error"]) for name, att in by_name.items()}
    assert facts == {
        "推荐学校名单.xlsx": ("xlsx", None), "申报书.docx": ("docx", None), "实施方案.pdf": ("pdf", None),
        "扫描件.pdf": ("pdf", "scanned: no text layer (2 page(s) of images)"),
        "汇总表.pdf": ("html", "not a PDF: the server sent an HTML page"),
        "视频资料.zip": (None, f"127.0.0.1:{server.server_address[1]}: page of {CAP + 1000} bytes is over the {CAP}-byte cap"),
        "压缩包.zip": ("zip", f"zip bomb: unpacks to {8 * 1024 * 1024} bytes, over the {4 * 1024 * 1024}-byte cap"),
        "填报指南": ("docx", None), "演示文稿.pptx": (None, "not read: a format no text is taken from"),
    }
    assert by_name["推荐学校名单.xlsx"]["bytes"] == len(xlsx_list())
    assert by_name["推荐学校名单.xlsx"]["chars"] == len(texts[0]) and SCHOOL_IN_XLSX in texts[0]
    assert SCHOOL_IN_PDF in texts[2] and "填报指南：登录平台填写。" in texts[7]
    assert sorted(texts) == [0, 1, 2, 7]  # only attachments with text get a text row


def test_an_old_notice_s_attachments_are_listed_but_not_fetched(tmp_path: Path, ctx: PollContext) -> None:
    link = '<p><a href="/col/files/list.xlsx">附件1：名单.xlsx</a></p>'
    site = Site("col", "河东省教育厅", [Notice("4001", "关于上学期推荐工作的通知", "各校：名单见附件。", 30, link)])
    with serve(tmp_path / "www") as server:
        site.write(tmp_path / "www")
        write_files(tmp_path / "www" / "col" / "files")
        poll(Source.model_validate(site.catalog_entry(base_url(server), "test-col", "陕西")), ctx)
    with session_scope(ctx.engine) as session:
        (doc,) = session.exec(select(Document)).all()
        assert doc.attachments == [{"name": "名单.xlsx", "url": f"{base_url(server)}/col/files/list.xlsx", "type": None,
                                    "bytes": None, "chars": None, "error": "not fetched: published before max_age"}]
    assert not [hit for hit in server.hits if "/files/" in hit]  # a backfill costs no request per old file


def test_attachments_leave_items_and_labels_alone_and_show_in_items_json(tmp_path: Path, ctx: PollContext) -> None:
    with serve(tmp_path / "www") as server:
        site = notice_site(tmp_path / "www")
        poll(Source.model_validate(site.catalog_entry(base_url(server), "test-col", "陕西")), ctx)
    alone = understand(BODY, title="河东省教育厅关于推荐数字校园示范校的通知", region="陕西")
    with session_scope(ctx.engine) as session:
        rows = [item_json(item, doc) for item, doc in query_items(session, ItemQuery())]
    assert [(r["title"], r["labels"]) for r in rows] == [(i.title, i.labels) for i in alone.items]
    row = rows[0]
    assert (row["doc_number"], row["issuer"], row["signed_at"]) == ("河教信函〔2025〕31号", "河东省教育厅", "2025-12-01")
    assert row["deadlines"] == [{"date": "2025-12-20", "text": "一、请于12月20日前将推荐材料报送至我厅。"}]
    assert row["attachments"][0] == {"name": "推荐学校名单.xlsx", "url": f"{base_url(server)}/col/files/list.xlsx",
                                     "type": "xlsx", "chars": row["attachments"][0]["chars"], "error": None}
    assert all(set(att) == {"name", "url", "type", "chars", "error"} for att in row["attachments"])


def test_an_attachment_on_the_metadata_address_is_refused_before_any_connection(tmp_path: Path) -> None:
    fetcher = Fetcher(HttpConfig(min_delay=0, retries=0, connect_timeout=1, robots=False))
    source = Source.adhoc("http://203.0.113.9/notice/")  # linking to the cloud metadata address
    try:
        found = read_attachments([{"url": "http://169.254.169.254/latest/a.pdf", "name": "a.pdf"}], fetcher, source,
                                 AttachmentsConfig())
    finally:
        fetcher.close()
    assert found is not None and found[0].error and found[0].error.startswith("refused to fetch 169.254.169.254: it is a link-local address")
    assert read_attachments([], fetcher, source, AttachmentsConfig(enabled=False)) is None


def test_a_link_no_fetch_can_make_sense_of_is_recorded_not_raised() -> None:
    fetcher = Fetcher(HttpConfig(robots=False, retries=0))
    link = {"url": "http://127.0.0.1:99999/a.pdf", "name": "a.pdf"}  # a port out of range: urllib.parse raises ValueError
    try:
        (found,) = read_attachments([link], fetcher, Source.adhoc("http://127.0.0.1:8080/"), AttachmentsConfig()) or []
    finally:
        fetcher.close()
    assert (found.name, found.type, found.error) == ("a.pdf", None, "invalid URL (Port out of range 0-65535)")
