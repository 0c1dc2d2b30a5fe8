"""The fetcher against real misbehaving servers on 127.0.0.1: charsets, 304, blocks, redirects,
timeouts, caps, retries, politeness, robots.txt, proxies and the SSRF guard."""

from __future__ import annotations

import itertools
import socket
import threading
from typing import Any

import pytest

from monitor.catalog import Source
from monitor.fetch import Fetcher, FetchError, Validators
from monitor.settings import HttpConfig
from support.badsite import Answer, gzip_bomb, html, scripted

FAST = {"min_delay": 0, "retries": 0, "connect_timeout": 2, "read_timeout": 2, "backoff": 0}
ARTICLE = "<html><body>" + "<p>教育部召开教育信息化工作推进会，部署网络安全等级保护工作。</p>" * 20 + "</body></html>"


def fetcher(**overrides: Any) -> Fetcher:
    return Fetcher(HttpConfig(**{**FAST, **overrides}))


def source(base: str, **extra: Any) -> Source:
    return Source.model_validate({"id": "t", "name": "t", "region": "全国", "url": f"{base}/list/",
                                  "robots": False, **extra})


def test_gb18030_page_without_header_charset_is_decoded_from_its_meta() -> None:
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>' \
           "<body>朱镕基 𠮷 教育信息化</body></html>"
    with scripted({"/p": Answer(200, page.encode("gb18030"), {"Content-Type": "text/html"})}) as srv:
        result = fetcher().get(f"{srv.base}/p", source=source(srv.base))
    assert "朱镕基 𠮷 教育信息化" in (result.text or "")


def test_a_wrong_header_charset_does_not_garble_the_page() -> None:
    page = '<html><head><meta charset="gbk"></head><body>网络安全工作月报</body></html>'
    with scripted({"/p": Answer(200, page.encode("gb18030"), {"Content-Type": "text/html; charset=utf-8"})}) as srv:
        result = fetcher().get(f"{srv.base}/p", source=source(srv.base))
    assert "网络安全工作月报" in (result.text or "")


def test_conditional_get_sends_validators_and_a_304_has_no_body() -> None:
    with scripted({"/list/": [html(ARTICLE, ETag='"v1"', **{"Last-Modified": "Mon, 02 Feb 2026 08:00:00 GMT"}),
                              Answer(304, b"", {"ETag": '"v1"'})]}) as srv:
        f = fetcher()
        first = f.get(f"{srv.base}/list/", source=source(srv.base))
        second = f.get(f"{srv.base}/list/", validators=first.validators, source=source(srv.base))
    assert first.validators == Validators('"v1"', "Mon, 02 Feb 2026 08:00:00 GMT")
    assert second.not_modified and second.text is None
    sent = srv.requests[1].headers
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == "Mon, 02 Feb 2026 08:00:00 GMT"


@pytest.mark.parametrize(("answer", "reason"), [
    (html('<script>var $_ts=window["$_ts"];</script>', status=412), "412"),
    (html("<script>document.cookie='__jsl_clearance=1';location.reload()</script>", status=521), "521"),
    (html('<html><head><script src="/EO_Bot_ssid.js"></script><script>window.location.href="/x"</script>'
          "</head><body></body></html>"), "challenge shell"),
    (html("<html><body><h2>您访问过于频繁，请稍后再试</h2></body></html>"), "rate-limit"),
])
def test_challenge_and_rate_limit_pages_are_blocked_not_content(answer: Answer, reason: str) -> None:
    with scripted({"/list/": answer}) as srv:
        result = fetcher().get(f"{srv.base}/list/", source=source(srv.base))
    assert result.blocked and reason in result.blocked
    assert result.text is None


def test_a_real_page_with_scripts_is_not_mistaken_for_a_challenge() -> None:
    page = "<html><head><script>location.reload()</script></head><body>" + ARTICLE + "</body></html>"
    with scripted({"/a": html(page)}) as srv:
        result = fetcher().get(f"{srv.base}/a", source=source(srv.base))
    assert result.blocked is None and "等级保护" in (result.text or "")


def test_redirects_are_followed_and_loops_are_named() -> None:
    with scripted({"/old": Answer(301, b"", {"Location": "/new/"}), "/new/": html(ARTICLE),
                   "/a": Answer(302, b"", {"Location": "/b"}), "/b": Answer(302, b"", {"Location": "/a"})}) as srv:
        f = fetcher()
        moved = f.get(f"{srv.base}/old", source=source(srv.base))
        with pytest.raises(FetchError, match="redirect loop"):
            f.get(f"{srv.base}/a", source=source(srv.base))
    assert moved.url == f"{srv.base}/new/" and moved.status == 200


def test_a_redirect_to_the_metadata_address_is_refused_before_any_connection() -> None:
    with scripted({"/r": Answer(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})}) as srv, pytest.raises(FetchError, match="link-local"):
        fetcher().get(f"{srv.base}/r", source=source(srv.base))


def test_a_public_source_may_not_be_redirected_to_loopback() -> None:
    public = Source.model_validate({"id": "p", "name": "p", "region": "全国", "url": "http://203.0.113.9/list/",
                                    "robots": False})
    with scripted({"/r": Answer(302, b"", {"Location": "/x"})}) as srv, pytest.raises(FetchError, match="loopback"):
        fetcher().get(f"{srv.base}/r", source=public)
    assert srv.requests == []  # refused before the first byte was sent


def test_a_name_that_resolves_public_when_checked_and_loopback_when_connecting_is_refused(monkeypatch) -> None:
    """DNS rebinding: the check sees a public address, the connection reaches 127.0.0.1."""
    from monitor import ssrf

    ssrf._host_classes.cache_clear()
    monkeypatch.setattr(ssrf, "_resolve", lambda host: {"203.0.113.10"})  # the first, public answer
    public = Source.model_validate({"id": "p", "name": "p", "region": "全国", "url": "http://203.0.113.9/list/",
                                    "robots": False})
    try:
        with scripted({"/x": html(ARTICLE)}) as srv, pytest.raises(FetchError, match="connected to a loopback"):
            fetcher().get(f"http://localhost:{srv.server_address[1]}/x", source=public)
    finally:
        ssrf._host_classes.cache_clear()
    assert srv.requests == []  # the socket was closed before a request line was sent


def test_a_kept_alive_connection_is_checked_again_for_the_next_sources_request(monkeypatch) -> None:
    """A loopback source leaves a connection to localhost in the pool; a public source whose check
    was fooled into seeing localhost as public must not get to use it."""
    from monitor import ssrf

    public = Source.model_validate({"id": "p", "name": "p", "region": "全国", "url": "http://203.0.113.9/list/",
                                    "robots": False})
    ssrf._host_classes.cache_clear()
    try:
        with scripted({"/x": html(ARTICLE)}) as srv:
            url = f"http://localhost:{srv.server_address[1]}/x"
            f = fetcher()
            assert f.get(url, source=source(url)).status == 200  # the intranet source, allowed
            monkeypatch.setattr(ssrf, "_resolve", lambda host: {"203.0.113.10"})
            ssrf._host_classes.cache_clear()
            with pytest.raises(FetchError, match="connected to a loopback"):
                f.get(url, source=public)
        assert len(srv.requests) == 1
    finally:
        ssrf._host_classes.cache_clear()


def test_a_response_slower_than_the_read_timeout_fails_cleanly() -> None:
    with scripted({"/slow": Answer(200, b"x", delay=2.0)}) as srv, pytest.raises(FetchError, match="timed out"):
        fetcher(read_timeout=0.3).get(f"{srv.base}/slow", source=source(srv.base))


def test_a_slow_drip_is_cut_at_the_body_deadline() -> None:
    with scripted({"/drip": Answer(200, b"<html>" + b"x" * 200, {"Content-Type": "text/html"}, drip=0.05)}) as srv, pytest.raises(FetchError, match="slow drip"):
        fetcher(connect_timeout=0.2, read_timeout=0.3).get(f"{srv.base}/drip", source=source(srv.base))


def test_a_body_over_the_size_cap_is_refused() -> None:
    with scripted({"/big": Answer(200, b"<html>" + b"a" * 50_000, {"Content-Type": "text/html"}),
                   "/chunked": Answer(200, b"<html>" + b"a" * 50_000,
                                      {"Content-Type": "text/html", "Content-Length": "10"})}) as srv:
        f = fetcher(max_bytes=10_000)
        with pytest.raises(FetchError, match="cap"):
            f.get(f"{srv.base}/big", source=source(srv.base))


def test_a_gzip_bomb_stops_at_the_decompressed_cap() -> None:
    with scripted({"/bomb": gzip_bomb(60 * 1024 * 1024)}) as srv, pytest.raises(FetchError, match="cap"):
        fetcher(max_bytes=1024 * 1024).get(f"{srv.base}/bomb", source=source(srv.base))


def test_a_connection_reset_mid_body_is_a_fetch_error() -> None:
    with scripted({"/reset": Answer(200, b"<html>" + b"y" * 5000, {"Content-Type": "text/html"},
                                    reset_after=100)}) as srv, pytest.raises(FetchError, match="body unreadable"):
        fetcher().get(f"{srv.base}/reset", source=source(srv.base))


def test_5xx_and_429_are_retried_honouring_retry_after() -> None:
    with scripted({"/flaky": [Answer(503, b"busy", {"Retry-After": "1"}), Answer(429, b"slow down"),
                              html(ARTICLE)]}) as srv:
        result = fetcher(retries=3).get(f"{srv.base}/flaky", source=source(srv.base))
    assert result.status == 200 and len(srv.hits("/flaky")) == 3
    first, second = srv.hits("/flaky")[:2]
    assert second.at - first.at >= 0.9  # Retry-After: 1 was honoured


def test_a_huge_retry_after_is_capped() -> None:
    with scripted({"/storm": [Answer(503, b"", {"Retry-After": "3600"}), html(ARTICLE)]}) as srv:
        result = fetcher(retries=1, max_backoff=0.2).get(f"{srv.base}/storm", source=source(srv.base))
    assert result.status == 200
    first, second = srv.hits("/storm")
    assert second.at - first.at < 5


def test_a_storm_that_outlasts_the_retries_names_the_status() -> None:
    with scripted({"/down": Answer(500, b"oops")}) as srv, pytest.raises(FetchError, match="HTTP 500"):
        fetcher(retries=2).get(f"{srv.base}/down", source=source(srv.base))
    assert len(srv.hits("/down")) == 3


def test_4xx_is_an_error_naming_the_status() -> None:
    with scripted({}) as srv, pytest.raises(FetchError, match="HTTP 404"):
        fetcher().get(f"{srv.base}/missing", source=source(srv.base))


def test_connection_refused_is_a_fetch_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(FetchError, match="connection failed"):
        fetcher().get(f"http://127.0.0.1:{port}/", source=source(f"http://127.0.0.1:{port}"))


def test_min_delay_spaces_requests_to_one_host() -> None:
    with scripted({"/p": html(ARTICLE)}) as srv:
        f = fetcher(min_delay=0.3)
        for _ in range(3):
            f.get(f"{srv.base}/p", source=source(srv.base))
    times = [r.at for r in srv.requests]
    assert all(b - a >= 0.28 for a, b in itertools.pairwise(times))


@pytest.mark.parametrize("per_host", [1, 2])
def test_at_most_per_host_requests_at_once(per_host: int) -> None:
    with scripted({"/p": Answer(200, ARTICLE.encode(), {"Content-Type": "text/html"}, delay=0.15)}) as srv:
        f = fetcher(per_host=per_host)
        threads = [threading.Thread(target=f.get, args=(f"{srv.base}/p",), kwargs={"source": source(srv.base)})
                   for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(srv.requests) == 6 and srv.max_in_flight == per_host


def test_robots_txt_is_honoured_cached_and_can_be_opted_out_of() -> None:
    robots = Answer(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
    with scripted({"/robots.txt": robots, "/private/a": html(ARTICLE), "/list/": html(ARTICLE)}) as srv:
        f = fetcher()
        polite = source(srv.base, robots=True)
        f.get(f"{srv.base}/list/", source=polite)
        with pytest.raises(FetchError, match=r"robots\.txt"):
            f.get(f"{srv.base}/private/a", source=polite)
        f.get(f"{srv.base}/private/a", source=source(srv.base, robots=False))
    assert len(srv.hits("/robots.txt")) == 1 and len(srv.hits("/private/a")) == 1


def test_a_missing_robots_txt_allows_everything() -> None:
    with scripted({"/list/": html(ARTICLE)}) as srv:
        result = fetcher().get(f"{srv.base}/list/", source=source(srv.base, robots=True))
    assert result.status == 200 and srv.requests[0].path == "/robots.txt"


def test_per_source_proxy_and_headers() -> None:
    with scripted({"/page": html(ARTICLE)}) as proxy:
        via_proxy = source("http://jyt.example.invalid", proxy=proxy.base, headers={"Referer": "http://jyt.example.invalid/"})
        result = fetcher().get("http://jyt.example.invalid/page", source=via_proxy)
    assert result.status == 200
    request = proxy.requests[0]
    assert request.line.startswith("GET http://jyt.example.invalid/page ")
    assert request.headers["Referer"] == "http://jyt.example.invalid/"
    assert "edu-monitor" in request.headers["User-Agent"]


def test_an_attachment_has_no_text() -> None:
    with scripted({"/f.pdf": Answer(200, b"%PDF-1.7 \x00\x01binary", {"Content-Type": "application/pdf"})}) as srv:
        result = fetcher().get(f"{srv.base}/f.pdf", source=source(srv.base))
    assert result.text is None and result.content.startswith(b"%PDF")


def test_a_name_that_resolves_to_loopback_is_refused_for_a_public_source() -> None:
    public = Source.model_validate({"id": "p", "name": "p", "region": "全国", "url": "http://203.0.113.9/list/",
                                    "robots": False})
    with pytest.raises(FetchError, match="loopback"):
        fetcher().get("http://localhost:9/list/", source=public)


def test_errors_never_carry_credentials_from_the_url() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(FetchError) as failure:
        fetcher().get(f"http://user:s3cret-token@127.0.0.1:{port}/", source=source(f"http://127.0.0.1:{port}"))
    assert "s3cret-token" not in str(failure.value) and f"127.0.0.1:{port}" in str(failure.value)


def test_a_port_out_of_range_is_a_fetch_error_also_behind_a_redirect() -> None:
    with scripted({"/r": Answer(302, b"", {"Location": "http://127.0.0.1:99999/a.html"})}) as srv:
        with pytest.raises(FetchError, match="invalid URL"):
            fetcher().get("http://127.0.0.1:99999/a.html", source=source(srv.base))
        with pytest.raises(FetchError, match="invalid URL"):
            fetcher().get(f"{srv.base}/r", source=source(srv.base))
    assert [r.path for r in srv.requests] == ["/r"]
