"""Simulated government sites for the poll benchmarks: N TRS-style columns on many loopback addresses.

    python bench/sites.py --sites 1000 --port 8800              # serve until Ctrl-C
    python bench/sites.py --sites 1000 --port 0 --latency 50    # ephemeral ports, 50 ms per answer

Site i listens on 127.0.0.(2 + i % 250), port PORT + i // 250 (PORT 0: an ephemeral port per site),
so every site is its own host:port and per-host politeness limits apply site by site. Its column is
`/s<i>/`: a list page of 20 links (`<ul id="list"><li><a href="./YYYYMM/tYYYYMMDD_ID.html" title="…">…
</a><span>YYYY-MM-DD</span></li>`), and behind each link an article page of report size (8-15 KB of
Chinese text in `div.TRS_Editor`, with header, breadcrumb, date line, share bar and footer).
Every page is generated deterministically from its site and article number, encoded once and kept
as bytes; ETag and Last-Modified are sent and conditional requests answered with 304.
`/robots.txt` allows everything but `/private/`; `/_stats` (on any site) counts the requests and 304s
answered so far (it is not counted itself).

As a module:

    with sites.serve(1000) as urls:          # a separate process (its CPU is not the caller's)
        ...                                  # urls[i] is site i's list page
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

from sitepages import ARTICLES, Pages, department

ADDRESSES = 250  # 127.0.0.2 … 127.0.0.251
_MODIFIED = format_datetime(dt.datetime(2024, 9, 1, tzinfo=dt.UTC), usegmt=True)


def host_of(site: int) -> str:
    return f"127.0.0.{2 + site % ADDRESSES}"


class _HttpProtocol(asyncio.Protocol):
    """A minimal HTTP/1.1 server side: GET and HEAD, keep-alive, conditional requests, optional delay."""

    def __init__(self, server: SiteServer) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False  # one request at a time per connection (a delayed answer keeps the order)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > 65536:
            self._close()
            return
        self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _next(self) -> None:
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4:]
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3:
                self._close()
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            response = self.server.respond(parts[0], parts[1].split("?", 1)[0], headers)
            keep = headers.get("connection", "").lower() != "close" and parts[2] == "HTTP/1.1"
            if self.server.latency > 0:
                self.busy = True
                asyncio.get_running_loop().call_later(self.server.latency, self._send, response, keep)
                return
            self._send(response, keep, resume=False)

    def _send(self, response: bytes, keep: bool, resume: bool = True) -> None:
        if self.transport is None:
            return
        self.transport.write(response)
        if not keep:
            self.transport.close()
            return
        self.busy = False
        if resume:
            self._next()


class SiteServer:
    """`sites` simulated sites on loopback addresses, served from one asyncio loop."""

    def __init__(self, sites: int, port: int = 0, latency_ms: float = 0.0, today: dt.date | None = None) -> None:
        self.sites, self.port = sites, port
        self.latency = latency_ms / 1000.0
        self.pages = Pages(sites, today or dt.date.today())
        self.requests = 0
        self.not_modified = 0
        self.urls: list[str] = []
        self._servers: list[asyncio.AbstractServer] = []

    def respond(self, method: str, path: str, headers: dict[str, str]) -> bytes:
        if path == "/_stats":  # for benchmarks: what the server has answered so far
            body = json.dumps({"requests": self.requests, "not_modified": self.not_modified}).encode()
            return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        self.requests += 1
        if method not in ("GET", "HEAD"):
            return b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nAllow: GET, HEAD\r\n\r\n"
        found = self.pages.get(path)
        if found is None:
            return b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found"
        body, etag = found
        match = headers.get("if-none-match")
        if (match is not None and etag.decode() in match) or (match is None and headers.get("if-modified-since") == _MODIFIED):
            self.not_modified += 1
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\nLast-Modified: " + _MODIFIED.encode() + b"\r\n\r\n"
        kind = b"text/plain" if path == "/robots.txt" else b"text/html; charset=utf-8"
        head = (b"HTTP/1.1 200 OK\r\nServer: TRS-bench\r\nContent-Type: " + kind + b"\r\nContent-Length: "
                + str(len(body)).encode() + b"\r\nETag: " + etag + b"\r\nLast-Modified: " + _MODIFIED.encode() + b"\r\n\r\n")
        return head if method == "HEAD" else head + body

    async def start(self) -> list[str]:
        loop = asyncio.get_running_loop()
        for site in range(self.sites):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host_of(site), self.port + site // ADDRESSES if self.port else 0))
            server = await loop.create_server(lambda: _HttpProtocol(self), sock=sock, backlog=256)
            self._servers.append(server)
            self.urls.append(f"http://{host_of(site)}:{sock.getsockname()[1]}/s{site}/")
        return self.urls

    def close(self) -> None:
        for server in self._servers:
            server.close()


def _run(args: argparse.Namespace, ready: threading.Event | None = None, holder: dict | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or until `holder["stop"]` is called, in thread mode)."""
    server = SiteServer(args.sites, args.port, args.latency)
    if args.generate:
        started = time.perf_counter()
        size = server.pages.generate()
        if ready is None:
            print(f"generated {args.sites * (ARTICLES + 1):,} pages ({size / 1e6:.0f} MB) in "
                  f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    async def main() -> None:
        urls = await server.start()
        cpu_ready = time.process_time()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        if holder is not None:
            holder.update(urls=urls, server=server, stop=lambda: loop.call_soon_threadsafe(stop.set))
        else:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            if args.urls_file:
                Path(args.urls_file).write_text("\n".join(urls) + "\n", encoding="utf-8")
            ports = sorted({int(u.split(":")[2].split("/")[0]) for u in urls})
            print(f"serving {len(urls)} sites on {host_of(0)}-{host_of(min(len(urls), ADDRESSES) - 1)}, "
                  f"{len(ports)} port(s) {ports[0]}-{ports[-1]}; latency {args.latency:g} ms; e.g. {urls[0]}",
                  file=sys.stderr, flush=True)
            print("ready", flush=True)
        if ready is not None:
            ready.set()
        await stop.wait()
        server.close()
        if holder is None:
            cpu = time.process_time() - cpu_ready
            print(f"served {server.requests} requests ({server.not_modified} answered 304) with {cpu:.1f} s of CPU"
                  + (f" ({cpu / server.requests * 1e6:.0f} µs per request)" if server.requests else ""),
                  file=sys.stderr, flush=True)

    asyncio.run(main())


@contextlib.contextmanager
def serve(sites: int, port: int = 0, latency_ms: float = 0.0, generate: bool = True,
          separate_process: bool = True) -> Iterator[list[str]]:
    """Serve `sites` simulated sites; yields their list-page URLs (site i at index i).

    By default the server runs in its own Python process, so its CPU time is not the caller's;
    `generate` builds every page before the URLs are handed out, so no request waits for one."""
    args = argparse.Namespace(sites=sites, port=port, latency=latency_ms, generate=generate, urls_file=None)
    if not separate_process:
        ready, holder = threading.Event(), {}
        thread = threading.Thread(target=_run, args=(args, ready, holder), daemon=True)
        thread.start()
        ready.wait()
        try:
            yield holder["urls"]
        finally:
            holder["stop"]()
            thread.join(10)
        return
    with tempfile.TemporaryDirectory(prefix="bench-sites-") as folder:
        urls_file = Path(folder) / "urls.txt"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--sites", str(sites), "--port", str(port),
               "--latency", str(latency_ms), "--urls-file", str(urls_file), *(["--generate"] if generate else [])]
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            line = child.stdout.readline() if child.stdout else ""
            if line.strip() != "ready":
                raise RuntimeError(f"bench/sites.py did not start (exit code {child.poll()})")
            yield urls_file.read_text(encoding="utf-8").split()
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


def catalog_entries(urls: list[str], robots: bool = True) -> list[dict]:
    """edu-monitor catalog entries for the sites, as a user would write them (the `trs` preset does the rest)."""
    entries = []
    for site, url in enumerate(urls):
        region, dept = department(site)
        entries.append({"id": f"bench-{site:04d}", "name": f"{dept} 通知公告", "region": region, "url": url,
                        "preset": "trs", "every": "1h", "robots": robots})
    return entries


def revision() -> str:
    """The checkout's commit, marked when monitor/ differs from it (the figures depend on that code)."""
    git = ["git", "-C", str(Path(__file__).resolve().parent.parent)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no", "monitor"],
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {head}" + (" with uncommitted changes in monitor/" if dirty else "")


def stats(url: str) -> dict[str, int]:
    """The server's counters ({"requests": …, "not_modified": …}), asked through any site's URL."""
    parts = urllib.parse.urlsplit(url)
    with urllib.request.urlopen(f"{parts.scheme}://{parts.netloc}/_stats", timeout=10) as response:
        return json.loads(response.read())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--port", type=int, default=8800, help="site i listens on PORT + i // 250 (0: ephemeral ports)")
    ap.add_argument("--latency", type=float, default=0.0, metavar="MS", help="delay before every answer")
    ap.add_argument("--generate", action="store_true", help="build every page before serving")
    ap.add_argument("--urls-file", help="write the list-page URLs here, one a line")
    args = ap.parse_args()
    if args.sites < 1:
        ap.error("--sites must be at least 1")
    with contextlib.suppress(KeyboardInterrupt):
        _run(args)


if __name__ == "__main__":
    main()
