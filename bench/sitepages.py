"""The pages of the simulated government sites (bench/sites.py serves them): TRS-style list pages of
20 links and report-sized article pages, generated deterministically from site and article number."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import random
import re

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
