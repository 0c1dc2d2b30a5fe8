"""The SSRF guard: a fetch (first request or redirect hop) may reach a loopback, private or
link-local address only when the source's own host is in that same class. A public site that
redirects to 169.254.169.254 (cloud metadata) or 10.x is refused; a catalog entry that points at
an intranet mirror may stay on the intranet."""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
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


def check_target(url: str, origin: str) -> None:
    """Raise AddressRefused when `url` resolves to a non-public class that `origin`'s host is not in.

    Names are resolved too, so a DNS name pointing at 127.0.0.1 counts as loopback. (The lookup is
    cached and requests resolves again when it connects; a DNS-rebinding host could still differ.)
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
