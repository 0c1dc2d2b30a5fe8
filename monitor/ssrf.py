"""The SSRF guard: a fetch (first request or redirect hop) may reach a loopback, private or
link-local address only when the source's own host is in that same class. A public site that
redirects to 169.254.169.254 (cloud metadata) or 10.x is refused; a catalog entry that points at
an intranet mirror may stay on the intranet."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit


class AddressRefused(Exception):
    """The URL leads to an address class its source may not reach."""


def address_class(address: str) -> str:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    return "public"


def _resolve(host: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        return set()  # unresolvable: the request itself will fail with a clear error


@lru_cache(maxsize=1024)
def _host_classes(host: str) -> frozenset[str]:
    try:
        return frozenset({address_class(host)})
    except ValueError:
        return frozenset(address_class(a) for a in _resolve(host))


_guard = threading.local()


@contextmanager
def guarding(origin: str) -> Iterator[None]:
    """Within this block, every new connection of this thread must reach a public address or one
    of `origin`'s classes, checked on the connected socket itself (see GuardedConnection)."""
    host = urlsplit(origin).hostname or ""
    previous = getattr(_guard, "allowed", None)
    _guard.allowed = _host_classes(host) if host else frozenset()
    try:
        yield
    finally:
        _guard.allowed = previous


def _check_kind(kind: str, host: str) -> None:
    allowed = getattr(_guard, "allowed", None)
    if allowed is None:
        return  # not opened by a guarded fetch (the guard is set by the fetcher for every request)
    if kind != "public" and kind not in allowed:
        raise AddressRefused(f"refused to fetch {host}: it connected to a {kind} address "
                             "(the name resolved differently when checked)")


class GuardedConnectionMixin:
    """urllib3 connection whose socket is checked right after the TCP connect, before TLS or the
    request: a DNS-rebinding name that resolved public for check_target and private here fails.
    A kept-alive connection is checked again before each request, against that request's guard."""

    host: str
    peer_kind: str | None = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        self.peer_kind = address_class(str(sock.getpeername()[0]))
        try:
            _check_kind(self.peer_kind, self.host)
        except AddressRefused:
            sock.close()
            raise
        return sock

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self.peer_kind is not None:
            _check_kind(self.peer_kind, self.host)
        return super().request(*args, **kwargs)  # type: ignore[misc]


def check_target(url: str, origin: str) -> None:
    """Raise AddressRefused when `url` resolves to a non-public class that `origin`'s host is not in.

    Names are resolved too, so a DNS name pointing at 127.0.0.1 counts as loopback. The lookup is
    cached; a direct connection is checked again on its socket (GuardedConnectionMixin), so a name
    that answers differently the second time is caught there. Through a proxy (the source's own,
    or the environment's HTTP(S)_PROXY) the proxy connects, and only this check applies.
    """
    host, origin_host = urlsplit(url).hostname or "", urlsplit(origin).hostname or ""
    target = _host_classes(host) - {"public"}
    if not target:
        return
    allowed = _host_classes(origin_host) if origin_host else frozenset()
    refused = sorted(target - allowed)
    if refused:
        raise AddressRefused(f"refused to fetch {host}: it is a {'/'.join(refused)} address "
                             f"and the source {origin_host or '?'} is not")
