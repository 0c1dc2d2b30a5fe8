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
import hashlib
import html
import json
import random
import re
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

ADDRESSES = 250  # 127.0.0.2 … 127.0.0.251
ARTICLES = 20  # links on a list page
SEED = 20240901

PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
             "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
             "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆")
_AUTONOMOUS = {"内蒙古": "自治区", "广西": "自治区", "西藏": "自治区", "宁夏": "自治区", "新疆": "自治区"}
_CITIES = {"北京", "天津", "上海", "重庆"}
UNITS = ("电化教育馆", "教育技术装备中心", "教育考试院", "信息中心", "教育科学研究院", "教师发展中心")
TOPICS = ("智慧教育平台", "校园网络安全", "教育数据资源", "中小学人工智能教育", "数字校园", "教育专网",
          "教师信息技术应用能力", "在线精品课程", "教育移动应用", "网络安全等级保护", "教育管理信息系统",
          "国家中小学智慧教育平台", "数字化教材", "校园安全监测", "教育数字化转型", "个人信息保护")
ACTS = ("印发《关于加快推进{t}建设的实施意见》", "召开{t}工作推进会，{n}个单位负责同志参加",
        "举办{t}专题培训班，培训骨干教师{n}人次", "组织开展{t}典型案例征集遴选活动", "完成{n}所学校{t}专项评估",
        "上线运行{t}，累计访问量突破{n}万次", "开展{t}专项检查和应急演练，排查整改问题{n}个",
        "发布《{y}年{t}发展报告》", "推进{t}试点建设，新增试点校{n}所", "部署{t}备案和监测工作",
        "建立{t}工作专班，明确{n}项重点任务", "对{n}个区县{t}工作进行督导调研")
PHRASES = ("坚持以应用为导向", "强化统筹协调", "加强部门协同", "注重示范引领", "压实主体责任", "完善制度机制",
           "深化融合创新", "提升服务能力", "夯实基础支撑", "健全评价体系", "推动优质资源共享", "加大经费保障力度")
NUMERALS = "一二三四五六七八九十"
_ARTICLE_PATH = re.compile(r"^/s(\d+)/(\d{6})/t(\d{8})_(\d+)\.html$")
_LIST_PATH = re.compile(r"^/s(\d+)/(?:index\.html)?$")
_MODIFIED = format_datetime(dt.datetime(2024, 9, 1, tzinfo=dt.UTC), usegmt=True)


def host_of(site: int) -> str:
    return f"127.0.0.{2 + site % ADDRESSES}"


def department(site: int) -> tuple[str, str]:
    """(short province name, publishing authority) of site i."""
    province = PROVINCES[site % len(PROVINCES)]
    if site % 3 == 2:  # every third site is a unit under the authority
        return province, f"{_prefix(province)}{UNITS[site % len(UNITS)]}"
    return province, f"{_prefix(province)}{'教委' if province in _CITIES else '教育厅'}"


def _prefix(province: str) -> str:
    return province + ("市" if province in _CITIES else _AUTONOMOUS.get(province, "省"))


def article_id(site: int, k: int) -> int:
    return 100000 + site * ARTICLES + k


def article_day(today: dt.date, site: int, k: int) -> dt.date:
    """Newest first: the column's k-th article is a few days older than the (k-1)-th."""
    return today - dt.timedelta(days=site % 5 + 2 * k)


def article_path(today: dt.date, site: int, k: int) -> str:
    day = article_day(today, site, k)
    return f"{day:%Y%m}/t{day:%Y%m%d}_{article_id(site, k)}.html"


# --- page text -------------------------------------------------------------------------------------


def _sentence(rng: random.Random, province: str, year: int) -> str:
    act = rng.choice(ACTS).format(t=rng.choice(TOPICS), n=rng.randint(3, 9800), y=year)
    who = rng.choice((f"{_prefix(province)}教育厅", f"{rng.choice(PROVINCES)}教育部门",
                      f"{rng.choice(('省', '市', '区'))}{rng.choice(UNITS)}", "各地教育行政部门"))
    return f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日，{who}{rng.choice(PHRASES)}，{act}"


def _paragraph(rng: random.Random, province: str, year: int) -> str:
    return "，".join(_sentence(rng, province, year) for _ in range(rng.randint(3, 6))) + "。"


def article_content(site: int, k: int, day: dt.date) -> tuple[str, list[str]]:
    """(title, paragraphs) of site i's k-th article: a news item, a notice with numbered points or
    work points, 2,700-5,000 characters, different for every (site, k)."""
    rng = random.Random(SEED * 1_000_003 + site * ARTICLES + k)
    province, dept = department(site)
    year, topic = day.year, rng.choice(TOPICS)
    target = rng.randint(2700, 5000)
    kind = rng.randrange(4)
    paras: list[str] = []
    if kind == 0:
        title = f"关于做好{year}年{topic}工作的通知"
        paras.append("各市（州）教育局，各高等学校，厅直属各单位：")
        paras.append(f"为贯彻落实国家有关部署，进一步做好{topic}工作，现就有关事项通知如下。")
    elif kind == 1:
        title = f"{dept}{year}年{topic}工作要点"
    else:
        title = rng.choice((f"{dept}召开{topic}工作推进会", f"{province}扎实推进{topic}建设",
                            f"{dept}部署{topic}专项工作", f"{province}{topic}应用成效显著"))
    size, section, task = sum(map(len, paras)), 0, 0
    while size < target:
        if kind in (0, 1) and (task == 0 or rng.random() < 0.3) and section < len(NUMERALS):
            heading = f"{NUMERALS[section]}、{rng.choice(PHRASES)}，{rng.choice(('扎实推进', '全面加强', '持续深化'))}{rng.choice(TOPICS)}"
            section += 1
            paras.append(heading)
            size += len(heading)
        if kind == 1:
            task += 1
            para = f"{task}.{rng.choice(PHRASES)}。" + _paragraph(rng, province, year)
        else:
            task += 1
            para = _paragraph(rng, province, year)
        paras.append(para)
        size += len(para)
    if kind == 0:
        paras.append(f"联系人：{rng.choice('王李张刘陈杨赵黄周吴')}老师，联系电话：0{rng.randint(10, 99)}-{rng.randint(10000000, 99999999)}")
        paras.append(f"{dept}")
        paras.append(f"{day.year}年{day.month}月{day.day}日")
    return title, paras


def _chrome_head(dept: str, title: str, extra: str = "") -> str:
    nav = "".join(f'<li><a href="/col{n}/">{name}</a></li>' for n, name in enumerate(
        ("首页", "机构概况", "新闻动态", "通知公告", "政策文件", "政务公开", "办事服务", "互动交流", "专题专栏")))
    return (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f"<title>{html.escape(title)}_{dept}</title>{extra}"
            '<link rel="stylesheet" href="/images/style.css"><script src="/images/jquery.min.js"></script></head>'
            f'<body><div class="header"><div class="logo"><img src="/images/logo.png" alt="{dept}"></div>'
            f'<div class="search"><form action="/search/"><input name="q"><button>搜索</button></form></div>'
            f'<ul class="nav">{nav}</ul></div>')


def _chrome_foot(dept: str, site: int) -> str:
    return (f'<div class="footer"><p><a href="/about/">关于我们</a> | <a href="/map/">网站地图</a> | '
            f'<a href="/contact/">联系我们</a></p><p>主办单位：{dept}　地址：{dept}办公楼　邮编：{710000 + site}</p>'
            f"<p>版权所有：{dept}　ICP备{10000000 + site}号　公网安备{61010000000000 + site}号　网站标识码{6100000000 + site}</p>"
            "</div></body></html>")


def article_page(today: dt.date, site: int, k: int) -> bytes:
    day = article_day(today, site, k)
    title, paras = article_content(site, k, day)
    _, dept = department(site)
    metas = (f'<meta name="ArticleTitle" content="{html.escape(title)}"><meta name="PubDate" content="{day} 09:30">'
             f'<meta name="ContentSource" content="{dept}"><meta name="ColumnName" content="通知公告">')
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    page = (_chrome_head(dept, title, metas)
            + '<div class="location">您现在的位置：<a href="/">首页</a> &gt; <a href="../">通知公告</a></div>'
            + f'<div class="article"><h1>{html.escape(title)}</h1>'
            + f'<div class="article-info">发布日期：{day} 09:30　来源：{dept}　【字号：<a>大</a> <a>中</a> <a>小</a>】</div>'
            + f'<div class="TRS_Editor">{body}</div>'
            + '<div class="share">分享到：<a>微信</a> <a>微博</a></div>'
            + '<div class="related"><h3>相关阅读</h3><ul>'
            + "".join(f'<li><a href="../{article_path(today, site, (k + j) % ARTICLES)}">相关文章{j}</a></li>'
                      for j in range(1, 4))
            + "</ul></div></div>" + _chrome_foot(dept, site))
    return page.encode("utf-8")


def list_page(today: dt.date, site: int) -> bytes:
    _, dept = department(site)
    rows = []
    for k in range(ARTICLES):
        day = article_day(today, site, k)
        title, _ = article_content(site, k, day)
        short = title if len(title) <= 18 else title[:17] + "…"
        rows.append(f'<li><a href="./{article_path(today, site, k)}" title="{html.escape(title)}" target="_blank">'
                    f"{html.escape(short)}</a><span>{day}</span></li>")
    page = (_chrome_head(dept, "通知公告")
            + '<div class="location">您现在的位置：<a href="/">首页</a> &gt; 通知公告</div>'
            + f'<div class="list-box"><h2>通知公告</h2><ul id="list">{"".join(rows)}</ul>'
            + '<div class="page">共5页　<a href="index_1.html">下一页</a>　<a href="index_4.html">尾页</a></div></div>'
            + _chrome_foot(dept, site))
    return page.encode("utf-8")


# --- the server ------------------------------------------------------------------------------------


ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class Pages:
    """Encoded pages and their ETags, generated on first request (or all at once by `generate`)."""

    def __init__(self, sites: int, today: dt.date) -> None:
        self.sites, self.today = sites, today
        self._cache: dict[str, tuple[bytes, bytes]] = {}

    def get(self, path: str) -> tuple[bytes, bytes] | None:
        """(body, etag) for a path, None for 404."""
        found = self._cache.get(path)
        if found is not None:
            return found
        body = self._make(path)
        if body is None:
            return None
        found = (body, b'"' + hashlib.blake2b(body, digest_size=8).hexdigest().encode() + b'"')
        self._cache[path] = found
        return found

    def _make(self, path: str) -> bytes | None:
        if path == "/robots.txt":
            return ROBOTS
        if match := _LIST_PATH.match(path):
            site = int(match.group(1))
            return list_page(self.today, site) if site < self.sites else None
        if match := _ARTICLE_PATH.match(path):
            site, number = int(match.group(1)), int(match.group(4))
            k = number - article_id(site, 0)
            if site < self.sites and 0 <= k < ARTICLES and path == f"/s{site}/{article_path(self.today, site, k)}":
                return article_page(self.today, site, k)
        return None

    def generate(self, sites: int | None = None) -> int:
        """Build every list and article page of the first `sites` sites now; returns the bytes held."""
        for site in range(self.sites if sites is None else min(sites, self.sites)):
            self.get(f"/s{site}/")
            for k in range(ARTICLES):
                self.get(f"/s{site}/{article_path(self.today, site, k)}")
        return sum(len(body) for body, _ in self._cache.values())


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
