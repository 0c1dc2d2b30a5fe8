"""Content-Encoding faults at the fetcher, against a real server: a gzip stream cut short is an error
(not half an article), while what real servers legitimately send — several gzip members, zlib or raw
deflate, padding after the stream — still reads whole; bombs stop at the cap."""

from __future__ import annotations

import gzip
import zlib

import pytest

from monitor.catalog import Source
from monitor.fetch import Fetcher, FetchError
from monitor.settings import HttpConfig
from support.badsite import Answer
from support.faultsites import quiet_scripted

PAGE = ("<html><body>" + "".join(f"<p>第{k}段：教育部召开教育信息化工作推进会，部署网络安全等级保护工作。</p>"
                                 for k in range(300)) + "<p>全文完</p></body></html>").encode()
GROUP = "encoding"


def fetch(answer: Answer, **config: float) -> bytes:
    with quiet_scripted({"/p": answer}) as srv:
        fetcher = Fetcher(HttpConfig(**{"min_delay": 0, "retries": 0, "connect_timeout": 2, "read_timeout": 2,
                                        **config}))
        source = Source.model_validate({"id": "t", "name": "t", "region": "全国", "url": f"{srv.base}/",
                                        "robots": False})
        try:
            return fetcher.get(f"{srv.base}/p", source=source).content
        finally:
            fetcher.close()


def encoded(body: bytes, coding: str) -> Answer:
    return Answer(200, body, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": coding})


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(("name", "answer"), [
    ("gzip", encoded(gzip.compress(PAGE), "gzip")),
    ("two gzip members", encoded(gzip.compress(PAGE[:5000]) + gzip.compress(PAGE[5000:]), "gzip")),
    ("gzip + zero padding", encoded(gzip.compress(PAGE) + b"\0" * 64, "gzip")),
    ("zlib deflate", encoded(zlib.compress(PAGE), "deflate")),
    ("raw deflate", encoded(raw_deflate(PAGE), "deflate")),
    ("identity", encoded(PAGE, "identity")),
])
def test_well_formed_encodings_read_whole(name: str, answer: Answer, faults) -> None:
    with faults.scenario(GROUP, f"{name} reads whole") as s:
        assert fetch(answer) == PAGE
        s.outcome = f"{len(PAGE)} bytes, intact"
    faults.settle(GROUP)


@pytest.mark.parametrize(("name", "answer", "words"), [
    ("gzip cut at 60 %", encoded(gzip.compress(PAGE)[: len(gzip.compress(PAGE)) * 6 // 10], "gzip"), "truncated gzip"),
    ("gzip without its trailer", encoded(gzip.compress(PAGE)[:-8], "gzip"), "truncated gzip"),
    ("second gzip member cut", encoded(gzip.compress(PAGE[:5000]) + gzip.compress(PAGE[5000:])[:-8], "gzip"),
     "truncated gzip"),
    ("deflate cut", encoded(zlib.compress(PAGE)[:-20], "deflate"), "truncated deflate"),
    ("not gzip at all", encoded(b"<html>plain text sent as gzip</html>", "gzip"), "invalid gzip"),
    ("unsupported encoding", encoded(b"\x8b\x00\x80brotli?", "br"), "unsupported Content-Encoding"),
    ("gzip bomb", encoded(gzip.compress(b"\0" * (20 * 1024 * 1024), compresslevel=9), "gzip"), "cap"),
])
def test_broken_encodings_are_fetch_errors(name: str, answer: Answer, words: str, faults) -> None:
    with faults.scenario(GROUP, name) as s:
        with pytest.raises(FetchError, match=words) as caught:
            fetch(answer, max_bytes=1024 * 1024)
        s.outcome = f"FetchError: {str(caught.value).split(': ', 1)[-1]}"
    faults.settle(GROUP)
