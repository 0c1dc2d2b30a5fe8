"""One HTTP request hop for the fetcher, on urllib3 directly (requests' own transport).

requests' session machinery (preparing, merging settings, hooks, its cookie adapters) cost a
conditional GET answered 304 about 0.58 ms of CPU against 0.36 ms through urllib3. What requests
gave the fetcher is kept here: retries (urllib3's Retry, Retry-After capped), timeouts, the SSRF
check of every direct connection's peer, proxies (the source's own, else HTTP(S)_PROXY/ALL_PROXY
and NO_PROXY), the CA bundle (REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE, else certifi's), cookies kept
across requests, and credentials from the URL or ~/.netrc as HTTP basic auth.
"""

from __future__ import annotations

import os
import ssl
import threading
from base64 import b64encode
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import Request, getproxies, proxy_bypass_environment

from urllib3 import BaseHTTPResponse, PoolManager, ProxyManager, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry
from urllib3.util.url import parse_url

from monitor.settings import HttpConfig
from monitor.ssrf import GuardedConnectionMixin

# What requests sent by default besides the fetcher's own headers; only the codings _Inflater undoes.
BASE_HEADERS = {"Accept-Encoding": "gzip, deflate", "Connection": "keep-alive"}


class CappedRetry(Retry):
    """urllib3's Retry with Retry-After capped, so one site cannot park a poll thread for hours."""

    cap: float = 60.0

    def new(self, **kwargs: Any) -> CappedRetry:
        fresh = super().new(**kwargs)  # urllib3 makes a new Retry per attempt; keep the cap
        fresh.cap = self.cap
        return fresh

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.cap)


class _GuardedHTTPConnection(GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _Tls:
    """The CA bundle as one SSL context, built at the first https pool: loading certifi's bundle
    costs milliseconds, which neither a plain-http poll nor each new connection should pay."""

    def __init__(self) -> None:
        self.bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def context(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                from urllib3.util.ssl_ import create_urllib3_context

                context = create_urllib3_context()  # verifies the certificate and the host name
                if self.bundle and Path(self.bundle).is_dir():
                    context.load_verify_locations(capath=self.bundle)
                else:
                    import certifi

                    context.load_verify_locations(cafile=self.bundle or certifi.where())
                self._context = context
            return self._context


class _TlsPools:
    """Pool-manager mixin: https pools get the shared context (the pool key is made before this)."""

    tls: _Tls

    def _new_pool(self, scheme: str, host: str, port: int, request_context: dict[str, Any] | None = None) -> Any:
        if scheme == "https":
            request_context = dict(request_context or self.connection_pool_kw)  # type: ignore[attr-defined]
            request_context.setdefault("ssl_context", self.tls.context())
        return super()._new_pool(scheme, host, port, request_context)  # type: ignore[misc]


class _DirectPools(_TlsPools, PoolManager):
    pass


class _ProxyPools(_TlsPools, ProxyManager):
    pass


class Transport:
    """Thread-safe; one per Fetcher. `request` sends one GET (no redirects followed) and returns
    the response unread (preload_content=False): the fetcher streams and caps the body itself."""

    def __init__(self, config: HttpConfig, headers: dict[str, str]) -> None:
        self.headers = {**BASE_HEADERS, **headers}
        self.timeout = Timeout(connect=config.connect_timeout, read=config.read_timeout)
        self.retry = CappedRetry(total=config.retries, connect=config.retries, read=config.retries,
                                 status=config.retries, redirect=0, other=0, allowed_methods={"GET"},
                                 status_forcelist={429, 500, 502, 503, 504}, backoff_factor=config.backoff,
                                 backoff_max=config.max_backoff, backoff_jitter=config.backoff / 2,
                                 respect_retry_after_header=True, raise_on_status=False, raise_on_redirect=False)
        self.retry.cap = config.max_backoff
        self.tls = _Tls()
        self.pool_kw = {"num_pools": 64, "maxsize": max(4, config.per_host * 4)}
        # Direct connections check the address they reached; a proxy is the operator's choice.
        self.direct = _DirectPools(**self.pool_kw)
        self.direct.tls = self.tls
        self.direct.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
        self._proxies: dict[str, ProxyManager] = {}
        self._lock = threading.Lock()
        self.env_proxies = getproxies()  # read once, as the daemon builds a new fetcher on reload
        self.cookies = CookieJar()
        self.netrc = _read_netrc()

    def close(self) -> None:
        self.direct.clear()
        with self._lock:
            for manager in self._proxies.values():
                manager.clear()

    def request(self, url: str, headers: dict[str, str], proxy: str | None) -> BaseHTTPResponse:
        parts = urlsplit(url)
        sent = _merged(self.headers, headers)
        auth = _basic_auth(parts.username, parts.password) or self._netrc_auth(parts.hostname)
        if auth and not _has(sent, "Authorization"):
            sent["Authorization"] = auth
        if len(self.cookies):  # a site that set cookies gets them back, as a browser (and requests) would
            sent.update(self._cookie_header(url, sent))
        proxy = proxy or self._env_proxy(parts)
        if proxy:  # a proxy is sent the URL itself: encoded, without credentials or fragment (as requests did)
            url = parse_url(url)._replace(auth=None, fragment=None).url
        manager = self._manager(proxy)
        response = manager.urlopen("GET", url, headers=sent, redirect=False, assert_same_host=False,
                                   preload_content=False, decode_content=False, retries=self.retry,
                                   timeout=self.timeout)
        if "Set-Cookie" in response.headers or "Set-Cookie2" in response.headers:
            self.cookies.extract_cookies(_CookieReply(response), Request(url))  # type: ignore[arg-type]
        return response

    def _manager(self, proxy: str | None) -> PoolManager:
        if not proxy:
            return self.direct
        with self._lock:
            manager = self._proxies.get(proxy)
            if manager is None:
                p = urlsplit(proxy)
                auth = _basic_auth(p.username, p.password)
                manager = _ProxyPools(proxy, proxy_headers={"Proxy-Authorization": auth} if auth else None,
                                      **self.pool_kw)
                manager.tls = self.tls
                self._proxies[proxy] = manager
            return manager

    def _env_proxy(self, parts: Any) -> str | None:
        if not self.env_proxies:
            return None
        proxy = self.env_proxies.get(parts.scheme) or self.env_proxies.get("all")
        if proxy and proxy_bypass_environment(parts.netloc.rpartition("@")[2], self.env_proxies):
            return None
        return proxy

    def _netrc_auth(self, host: str | None) -> str | None:
        login = self.netrc.get(host or "") or self.netrc.get("default")
        return _basic_auth(*login) if login else None

    def _cookie_header(self, url: str, headers: dict[str, str]) -> dict[str, str]:
        request = Request(url, headers=headers)
        self.cookies.add_cookie_header(request)
        cookie = request.unredirected_hdrs.get("Cookie")
        return {"Cookie": cookie} if cookie else {}


class _CookieReply:
    """What http.cookiejar reads of a response: its Set-Cookie headers."""

    def __init__(self, response: BaseHTTPResponse) -> None:
        self.response = response

    def info(self) -> _CookieReply:
        return self

    def get_all(self, name: str, default: Any = None) -> Any:
        return self.response.headers.getlist(name) or default


def _merged(base: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    """base updated with extra, header names compared without case (a source's `user-agent` wins)."""
    if not extra:
        return dict(base)
    lower = {k.lower() for k in extra}
    return {**{k: v for k, v in base.items() if k.lower() not in lower}, **extra}


def _has(headers: dict[str, str], name: str) -> bool:
    return any(k.lower() == name.lower() for k in headers)


def _basic_auth(user: str | None, password: str | None) -> str | None:
    if not user and not password:
        return None
    pair = f"{unquote(user or '')}:{unquote(password or '')}".encode("latin-1", "replace")
    return "Basic " + b64encode(pair).decode("ascii")


def _read_netrc() -> dict[str, tuple[str, str]]:
    """host → (login, password) from $NETRC or ~/.netrc, as requests read them; {} without one."""
    path = Path(os.environ.get("NETRC") or Path.home() / ".netrc")
    if not path.is_file():
        return {}
    import netrc

    try:
        hosts = netrc.netrc(str(path)).hosts
    except (netrc.NetrcParseError, OSError):
        return {}
    return {host: (login or "", password or "") for host, (login, _account, password) in hosts.items()}
