"""What the fetcher's urllib3 transport keeps of requests' behaviour, against real servers on
127.0.0.1: cookies, credentials, proxies from the environment, header overrides, keep-alive."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from monitor.catalog import Source
from monitor.fetch import Fetcher, Validators
from monitor.settings import HttpConfig
from support.badsite import Answer, html, scripted

FAST = {"min_delay": 0, "retries": 0, "connect_timeout": 2, "read_timeout": 2, "backoff": 0}
PAGE = "<html><body><p>教育部召开教育信息化工作推进会。</p></body></html>"


def fetcher(**overrides: Any) -> Fetcher:
    return Fetcher(HttpConfig(**{**FAST, **overrides}))


def source(base: str, **extra: Any) -> Source:
    return Source.model_validate({"id": "t", "name": "t", "region": "全国", "url": f"{base}/list/",
                                  "robots": False, **extra})


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_cookie_a_site_sets_is_sent_back_to_it_and_to_no_other_host() -> None:
    with scripted({"/a": html(PAGE, **{"Set-Cookie": "__jsluid=abc123; Path=/"}), "/b": html(PAGE)}) as site, \
            scripted({"/c": html(PAGE)}, host="127.0.0.2") as other:
        f = fetcher()
        f.get(f"{site.base}/a", source=source(site.base))
        f.get(f"{site.base}/b", source=source(site.base))
        f.get(f"{other.base}/c", source=source(other.base))
    assert "Cookie" not in site.requests[0].headers
    assert site.requests[1].headers["Cookie"] == "__jsluid=abc123"
    assert "Cookie" not in other.requests[0].headers


def test_credentials_in_the_url_are_sent_as_basic_auth_not_in_the_request_line() -> None:
    with scripted({"/p": html(PAGE)}) as srv:
        host = srv.base.removeprefix("http://")
        fetcher().get(f"http://reader:s%40fe@{host}/p", source=source(srv.base))
    assert srv.requests[0].headers["Authorization"] == basic("reader", "s@fe")
    assert "reader" not in srv.requests[0].line


def test_netrc_credentials_are_used_for_their_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login ops password n3trc\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with scripted({"/p": html(PAGE)}) as srv, scripted({"/q": html(PAGE)}, host="127.0.0.2") as other:
        f = fetcher()
        f.get(f"{srv.base}/p", source=source(srv.base))
        f.get(f"{other.base}/q", source=source(other.base))
    assert srv.requests[0].headers["Authorization"] == basic("ops", "n3trc")
    assert "Authorization" not in other.requests[0].headers


def test_the_environments_proxy_is_used_unless_no_proxy_names_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    with scripted({"/page": html(PAGE)}) as proxy, scripted({"/page": html(PAGE)}, host="127.0.0.2") as direct:
        monkeypatch.setenv("HTTP_PROXY", proxy.base)
        monkeypatch.setenv("NO_PROXY", "127.0.0.2")
        f = fetcher()
        assert f.get("http://jyt.example.invalid/page", source=source("http://jyt.example.invalid")).status == 200
        assert f.get(f"{direct.base}/page", source=source(direct.base)).status == 200
    assert proxy.requests[0].line.startswith("GET http://jyt.example.invalid/page ")
    assert len(proxy.requests) == 1 and direct.requests[0].line.startswith("GET /page ")


def test_a_proxy_is_sent_the_url_encoded_and_without_credentials() -> None:
    with scripted({"/%E9%80%9A%E7%9F%A5%201.html": html(PAGE)}) as proxy:
        via_proxy = source("http://jyt.example.invalid", proxy=proxy.base)
        result = fetcher().get("http://reader:pw@jyt.example.invalid/通知 1.html#top", source=via_proxy)
    assert result.status == 200
    line = proxy.requests[0].line
    assert line.startswith("GET http://jyt.example.invalid/%E9%80%9A%E7%9F%A5%201.html ")
    assert proxy.requests[0].headers["Authorization"] == basic("reader", "pw")


def test_a_sources_header_overrides_the_default_whatever_its_case() -> None:
    with scripted({"/p": html(PAGE)}) as srv:
        fetcher().get(f"{srv.base}/p", source=source(srv.base, headers={"user-agent": "Mozilla/5.0 site-mandated"}))
    sent = {k.lower(): v for k, v in srv.requests[0].headers.items()}
    assert sent["user-agent"] == "Mozilla/5.0 site-mandated"
    assert sent["accept-encoding"] == "gzip, deflate" and sent["accept-language"].startswith("zh-CN")


def test_a_304_leaves_its_connection_open_for_the_next_request() -> None:
    with scripted({"/list/": [html(PAGE, ETag='"v1"'), Answer(304, b"", {"ETag": '"v1"'}), html(PAGE)]}) as srv:
        f = fetcher()
        first = f.get(f"{srv.base}/list/", source=source(srv.base))
        assert f.get(f"{srv.base}/list/", validators=Validators('"v1"'), source=source(srv.base)).not_modified
        f.get(f"{srv.base}/list/", source=source(srv.base))
        pool = f.transport.direct.connection_from_url(srv.base)
    assert first.status == 200 and len(srv.requests) == 3
    assert pool.num_connections == 1  # one TCP connection served all three
