"""Bytes → text: header, meta, http-equiv, XML declaration, BOM, GB supersets, wrong labels, junk."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from monitor.charset import canonical, declared_in_document, decode_html

PAGES = Path(__file__).parent / "fixtures" / "pages"
# 镕 is outside GB2312 (inside GBK); 𠮷 needs GB18030's four-byte form.
BODY = "<p>教育部关于加强教育系统网络安全和数据安全工作的通知——“镕铸”𠮷。</p>"


def html(head: str = "") -> str:
    return f"<html><head>{head}<title>网络安全</title></head><body>{BODY * 3}</body></html>"


def test_header_charset() -> None:
    page = html()
    assert decode_html(page.encode("gb18030"), "gb18030") == page
    assert decode_html(page.encode("utf-8"), "UTF-8") == page


@pytest.mark.parametrize("head", [
    '<meta charset="gb2312">',
    "<meta charset=gbk>",
    '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />',
    "<META HTTP-EQUIV='content-type' CONTENT='text/html;charset=GBK'>",
])
def test_meta_and_http_equiv_labels(head: str) -> None:
    page = html(head)
    assert decode_html(page.encode("gb18030")) == page


def test_xml_declaration() -> None:
    page = '<?xml version="1.0" encoding="gb2312"?>\n' + html()
    assert declared_in_document(page.encode("gb18030")) == "gb2312"
    assert decode_html(page.encode("gb18030")) == page


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                            (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_bom_beats_every_label(bom: bytes, codec: str) -> None:
    page = html('<meta charset="gb2312">')
    assert decode_html(bom + page.encode(codec), "gbk") == page


@pytest.mark.parametrize("label", ["gb2312", "GB2312", "gbk", "x-gbk", "cp936", "euc-cn", "gb_2312-80", "GB18030"])
def test_gb_labels_are_read_as_gb18030(label: str) -> None:
    assert canonical(label) == "gb18030"
    page = html()
    decoded = decode_html(page.encode("gb18030"), label)
    assert "镕铸" in decoded and "𠮷" in decoded
    assert decoded == page


def test_gb18030_fixture_file_with_only_a_meta_label() -> None:
    text = decode_html((PAGES / "shaanxi_article_gb18030.html").read_bytes())
    assert "陕西省教育厅" in text and "镕铸匠心" in text and "𠮷" in text
    assert "\ufffd" not in text


def test_header_says_utf8_but_the_bytes_are_gb18030() -> None:
    page = html()
    assert decode_html(page.encode("gb18030"), "utf-8") == page


def test_meta_says_gb2312_but_the_bytes_are_utf8() -> None:
    page = html('<meta charset="gb2312">')
    assert decode_html(page.encode("utf-8")) == page


def test_western_default_header_does_not_garble_chinese() -> None:
    page = html()
    assert decode_html(page.encode("utf-8"), "ISO-8859-1") == page
    assert decode_html(page.encode("gb18030"), "iso-8859-1") == page


def test_source_override_wins() -> None:
    page = html('<meta charset="utf-8">')
    assert decode_html(page.encode("gb18030"), "utf-8", override="gbk") == page


def test_a_page_cut_off_mid_character_keeps_its_charset() -> None:
    data = html().encode("utf-8")
    cut = data[: data.index("镕".encode()) + 1]
    text = decode_html(cut, "utf-8")
    assert text.endswith("“") and "教育部" in text


def test_one_bad_byte_does_not_switch_the_charset() -> None:
    data = html().encode("utf-8")
    data = data[:60] + b"\xff" + data[60:]
    text = decode_html(data)
    assert "网络安全和数据安全" in text
    assert text.count("\ufffd") <= 3


@pytest.mark.parametrize("label", ["zlib", "hex", "base64", "rot13", "undefined", "idna", "unicode_escape",
                                   "no-such-charset", "utf-16", ""])
def test_labels_that_are_not_page_charsets_are_ignored(label: str) -> None:
    page = html(f'<meta charset="{label}">')
    assert decode_html(page.encode("utf-8"), label) == page


@pytest.mark.parametrize("data", [b"", b"\x00" * 100, bytes(range(256)) * 8, b"\xff\xfe\xfd" * 300,
                                  b"<meta charset=zlib>" + bytes(range(128, 256)) * 4])
def test_undecodable_junk_never_raises(data: bytes) -> None:
    assert isinstance(decode_html(data, "utf-8"), str)
    assert isinstance(decode_html(data, "undefined", override="hex"), str)


def test_random_junk_never_raises() -> None:
    for _ in range(20):
        assert isinstance(decode_html(os.urandom(2048), "gb2312"), str)
