"""HTTP for every poll: one shared transport (urllib3), polite per host, bounded, and honest about blocks.

Retries (connection errors, timeouts, 429, 5xx; Retry-After honoured, capped) come from urllib3's
Retry (monitor/transport.py). Redirects are followed here, hop by hop, so each hop passes the SSRF
guard and loops are named.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import structlog
from urllib3 import BaseHTTPResponse
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)

from monitor.blocked import blocked_reason
from monitor.politeness import HostGate, RobotsCache
from monitor.settings import HttpConfig
from monitor.ssrf import AddressRefused, check_target, guarding
from monitor.transport import Transport

log = structlog.get_logger()

MAX_REDIRECTS = 10
_CHUNK = 16 * 1024
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_TEXT_TYPES = ("text/", "application/xml", "application/rss", "application/atom", "application/json",
               "application/xhtml", "application/javascript")


class FetchError(Exception):
    """A fetch that produced no usable response (the message says why, without secrets)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status when the server answered with an error


class InvalidURL(FetchError):
    """A URL no request can be made for (a port out of range, a malformed host): it will never work."""


def checked_url(url: str) -> str:
    """The URL, or InvalidURL: urllib.parse and urllib3 raise ValueError for a port out of range,
    which would otherwise escape every `except FetchError` and fail the whole poll, on every cycle."""
    try:
        urlsplit(url).port  # noqa: B018 — parsing the port is the check
    except ValueError as exc:
        raise InvalidURL(f"invalid URL ({exc})") from None
    return url


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchResult:
    url: str  # after redirects
    status: int
    content: bytes = b""
    text: str | None = None
    encoding: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False
    blocked: str | None = None  # why the site refused us (challenge, rate limit), None for content
    validators: Validators = field(default_factory=Validators)
    elapsed: float = 0.0


class Fetcher:
    """Thread-safe; build one per process and share it, so per-host limits hold across polls."""

    def __init__(self, config: HttpConfig, gate: HostGate | None = None) -> None:
        """`gate`: the per-host limits of a fetcher this one replaces, so polls still running on
        the old one and new ones on this one share them."""
        self.config = config
        self.transport = Transport(config, {"User-Agent": config.user_agent,
                                            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                                            "Accept-Language": "zh-CN,zh;q=0.9"})
        self.gate = gate or HostGate(config.min_delay, config.per_host)
        self.robots = RobotsCache(self._fetch_robots)

    def close(self) -> None:
        self.transport.close()

    def get(self, url: str, validators: Validators | None = None, source: Any = None) -> FetchResult:
        """GET with redirects, conditional headers, politeness and caps; raises FetchError on failure."""
        started = time.monotonic()
        checked_url(url)
        origin = source.url if source is not None else url
        extra = dict(getattr(source, "headers", None) or {})
        if validators and validators.etag:
            extra["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            extra["If-Modified-Since"] = validators.last_modified
        if self.config.robots and getattr(source, "robots", True) and not self.robots.allowed(url, source):
            raise FetchError(f"robots.txt of {urlsplit(url).netloc} disallows {urlsplit(url).path or '/'}")
        host = _netloc(url)
        with self.gate.slot(host):  # held while the body streams, so per_host really bounds the load
            response, final_url = self._follow(url, origin, extra, source, held=host)
            try:
                result = self._read(response, final_url, source)
            finally:
                _release(response)
        result.elapsed = time.monotonic() - started
        return result

    def _follow(self, url: str, origin: str, headers: dict[str, str], source: Any,
                held: str) -> tuple[Any, str]:
        """Follow redirects hop by hop; `held` is the host whose politeness slot the caller holds."""
        seen: set[str] = set()
        for _ in range(MAX_REDIRECTS + 1):
            if url in seen:
                raise FetchError(f"redirect loop at {url}")
            seen.add(url)
            try:
                check_target(url, origin)
            except AddressRefused as exc:
                raise FetchError(str(exc)) from None
            with guarding(origin):
                if _netloc(url) == held:
                    response = self._request(url, headers, source)
                else:
                    with self.gate.slot(_netloc(url)):
                        response = self._request(url, headers, source)
            if response.status in {301, 302, 303, 307, 308} and response.headers.get("Location"):
                response.close()
                url = checked_url(urljoin(url, response.headers["Location"]))
                headers = {k: v for k, v in headers.items() if not k.startswith("If-")}
                continue
            return response, url
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _request(self, url: str, headers: dict[str, str], source: Any) -> BaseHTTPResponse:
        """One hop, its failures as FetchError in the words requests' exceptions gave them."""
        try:
            return self.transport.request(url, headers, getattr(source, "proxy", None))
        except AddressRefused as exc:
            raise FetchError(str(exc)) from None
        except MaxRetryError as exc:
            if isinstance(exc.reason, ResponseError):
                raise FetchError(f"{_netloc(url)}: gave up after {self.config.retries} retries ({_reason(exc)})") from None
            if isinstance(exc.reason, ConnectTimeoutError) and not isinstance(exc.reason, NewConnectionError):
                raise FetchError(f"{_netloc(url)}: timed out") from None
            raise FetchError(f"{_netloc(url)}: connection failed ({_reason(exc)})") from None
        except (ReadTimeoutError, ConnectTimeoutError):
            raise FetchError(f"{_netloc(url)}: timed out") from None
        except (ProtocolError, ProxyError, SSLError, OSError) as exc:
            raise FetchError(f"{_netloc(url)}: connection failed ({_reason(exc)})") from None
        except (HTTPError, ValueError) as exc:
            raise FetchError(f"{_netloc(url)}: {type(exc).__name__}") from None

    def _read(self, response: BaseHTTPResponse, url: str, source: Any) -> FetchResult:
        status = response.status
        headers = {k: response.headers[k] for k in response.headers}  # repeated names joined
        validators = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
        if status == 304:
            return FetchResult(url=url, status=status, headers=headers, not_modified=True, validators=validators)
        body = self._body(response, url)
        text = self._text(body, response, source)
        reason = blocked_reason(status, text)
        if reason:
            log.warning("fetch.blocked", url=url, status=status, reason=reason)
            return FetchResult(url=url, status=status, content=body, text=None, headers=headers, blocked=reason)
        if status >= 400:
            raise FetchError(f"{_netloc(url)}: HTTP {status} for {urlsplit(url).path or '/'}", status=status)
        return FetchResult(url=url, status=status, content=body, text=text, headers=headers,
                           encoding=_encoding(response.headers.get("Content-Type", "")), validators=validators)

    def _body(self, response: BaseHTTPResponse, url: str) -> bytes:
        """Read at most max_bytes of *decoded* body (a gzip bomb stops at the cap) within a total deadline.

        gzip and deflate are inflated here rather than by urllib3, because urllib3 returns whatever a
        cut-off stream inflates to: a truncated .gz served whole would be stored as half an article.
        """
        limit = self.config.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit and "Content-Encoding" not in response.headers:
            raise FetchError(f"{_netloc(url)}: page of {int(declared)} bytes is over the {limit}-byte cap")
        inflater = _Inflater.for_header(response.headers.get("Content-Encoding", ""), _netloc(url))
        deadline = time.monotonic() + self.config.connect_timeout + 2 * self.config.read_timeout
        chunks, size = [], 0
        try:
            while raw := response.read1(_CHUNK, decode_content=False):  # what has arrived, not a full chunk
                chunk = inflater.feed(raw, limit - size + 1)
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"{_netloc(url)}: page larger than the {limit}-byte cap")
                if time.monotonic() > deadline:
                    raise FetchError(f"{_netloc(url)}: body still arriving after the read deadline (slow drip)")
                chunks.append(chunk)
        except FetchError:
            raise
        except Exception as exc:  # urllib3 protocol and timeout errors while streaming the body
            raise FetchError(f"{_netloc(url)}: body unreadable ({_reason(exc)})") from None
        inflater.check_complete()
        return b"".join(chunks)

    def _text(self, body: bytes, response: BaseHTTPResponse, source: Any) -> str | None:
        ctype = response.headers.get("Content-Type", "text/html").lower()
        if body and not any(t in ctype for t in _TEXT_TYPES) and body.lstrip()[:1] != b"<":
            return None  # a PDF or other attachment: no text here
        header_charset = _charset(ctype)
        from monitor.charset import decode_html  # charset_normalizer: not needed by a 304

        return decode_html(body, header_charset, getattr(source, "encoding", None))

    def _fetch_robots(self, url: str, source: Any) -> tuple[int, str]:
        """robots.txt through the same politeness and SSRF checks (no robots check on itself)."""
        origin, host = (source.url if source is not None else url), _netloc(url)
        with self.gate.slot(host):
            response, final = self._follow(url, origin, dict(getattr(source, "headers", None) or {}), source, host)
            from monitor.charset import decode_html

            try:
                body = self._body(response, final) if response.status == 200 else b""
                return response.status, decode_html(body, None, "utf-8") if body else ""
            finally:
                response.close()


class _Inflater:
    """A response body's Content-Encoding undone (identity, gzip or deflate — what requests asks
    for), with the end of the compressed stream checked: a stream that stops early is an error."""

    def __init__(self, coding: str, host: str) -> None:
        self.coding, self.host = coding, host
        self._z = zlib.decompressobj(_WBITS[coding]) if coding else None
        self._fed = False  # some input was inflated
        self._streams = 0  # compressed streams read to their end (gzip may have several members)
        self._ended = False  # bytes after the last complete stream are ignored, as urllib3 and browsers do

    @classmethod
    def for_header(cls, header: str, host: str) -> _Inflater:
        codings = [c for c in (part.strip().lower() for part in header.split(",")) if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in _WBITS):
            raise FetchError(f"{host}: unsupported Content-Encoding {header.strip()!r}")
        return cls(codings[0] if codings else "", host)

    def feed(self, data: bytes, max_length: int) -> bytes:
        """Inflate the next raw bytes into at most `max_length` bytes (more is over the cap anyway)."""
        if self._z is None:
            return data
        out = b""
        while data and not self._ended and len(out) < max_length:
            if self._z.eof:  # a stream ended and more bytes follow: another gzip member, or trailing junk
                if self.coding == "deflate":
                    self._ended = True
                    break
                self._z = zlib.decompressobj(_WBITS[self.coding])
            try:
                out += self._z.decompress(data, max_length - len(out))
            except zlib.error:
                if self._streams:
                    self._ended = True
                    break
                if self.coding == "deflate" and not self._fed:  # raw deflate, without the zlib header
                    self._z, self._fed = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise FetchError(f"{self.host}: invalid {self.coding} body") from None
            self._fed = True
            if self._z.eof:
                self._streams += 1
            data = self._z.unused_data if self._z.eof else b""  # else all consumed, or the output limit hit
        return out

    def check_complete(self) -> None:
        if self._z is not None and self._fed and not (self._ended or self._z.eof):
            raise FetchError(f"{self.host}: truncated {self.coding} body (the compressed stream stops early)")


def _release(response: BaseHTTPResponse) -> None:
    """Back to the pool when no body is left to read (a 304), so the connection is kept alive;
    otherwise closed (after a body read to its end urllib3 has already returned it)."""
    if response.length_remaining == 0:
        response.drain_conn()
    else:
        response.close()


def _netloc(url: str) -> str:
    """host[:port] without any user:password@ part, so messages and stored errors hold no credentials."""
    parts = urlsplit(url)
    return f"{parts.hostname or ''}:{parts.port}" if parts.port else parts.hostname or ""


def _charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, unquoted; None without one."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("'\"") or None
    return None


def _encoding(content_type: str) -> str | None:
    """The encoding a header declares, defaulted as requests did (ISO-8859-1 for text/*)."""
    charset = _charset(content_type)
    if charset or not content_type:
        return charset
    if "text" in content_type.lower():
        return "ISO-8859-1"
    return "utf-8" if "application/json" in content_type.lower() else None


def _reason(exc: BaseException) -> str:
    """The innermost cause of a urllib3 error, short and free of URLs with credentials."""
    inner: BaseException = exc
    while True:
        nxt = getattr(inner, "reason", None) or inner.__cause__ or inner.__context__
        if not isinstance(nxt, BaseException) or nxt is inner:
            break
        inner = nxt
    text = str(inner)
    for marker in ("Connection refused", "timed out", "Connection reset", "Name or service not known",
                   "too many 5", "too many 429", "IncompleteRead", "Max retries"):
        if marker.lower() in text.lower():
            return marker
    return type(inner).__name__
