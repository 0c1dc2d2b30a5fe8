"""Which region an item is about: the actor of CONVENTIONS, found through a gazetteer.

Every province, prefecture, county and university (monitor/data/gazetteer.tsv, generated from
division codes and the Ministry's list of institutions) maps to its province; national bodies
(教育部, 国务院, 中国…学会, a 全国… event) are 全国. A mention is ranked by what it does in its
sentence: an actor outranks a venue ("在长沙举行"), which outranks a dateline, a source line or a
body that is only cited ("根据教育部部署"), so a national meeting held in a provincial capital
stays 全国 and a county's news gets its province even when the county is named only once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from monitor.taxonomy import FULL_NAMES, NATIONAL, PROVINCES

GAZETTEER_PATH = Path(__file__).with_name("data") / "gazetteer.tsv"

_ALIASES = FULL_NAMES | {"本港": "香港", "臺灣": "台湾", "台灣": "台湾"}  # what a text calls a region besides its name
NATIONAL_BODY = re.compile(
    r"教育部|国务院|中共中央|党中央|中央网信办|国家网信办|中央电教馆|中央电化教育馆|国家发展改革委|国家发改委|"
    r"工业和信息化部|工信部|财政部|公安部|人力资源社会保障部|科技部|中央宣传部|中宣部|全国人大|全国政协|全国总工会|"
    r"全国妇联|共青团中央|国家开放大学|中国教育科学研究院|中国互联网络信息中心|CERNET|CCERT|中国教育和科研计算机网|"
    r"[\u4e00-\u9fff]{2,4}总[局署](?![\u4e00-\u9fff]{0,2}[区省市县])|"
    r"国家[^\s,。;、]{0,6}(委员会|委|局|署|中心|馆)|"
    r"中国[^\s,。;、《》]{1,12}(学会|协会|研究会|联合会)|"
    r"(文化|科技|民政|司法|商务|外交|交通运输|农业农村|自然资源|生态环境|住房和城乡建设|水利|卫生|应急管理)部|"
    r"中央[\u4e00-\u9fff]{2,10}(大学|学院|馆|台|委员会)|"
    r"全国(?=[^,。;\n]{0,30}(会议|大会|活动|论坛|工作会|交流会|研讨会|推进会|现场会|座谈会|经验交流|竞赛|大赛|评选|培训))"
)
# Bodies of Taiwan and Hong Kong whose presence makes an unqualified 教育部/教育局 theirs.
_TAIWAN = re.compile(r"行政院|立法院|国教署|体育署|国民及学前教育署|资安署|资通安全|区网中心|学术网路")
_HONGKONG = re.compile(r"本港|港闻|私隐专员|立法会|教育局常任秘书长|特区政府")

_CITED = re.compile(r"(贯彻|落实|根据|按照|依据|遵照|响应|学习|传达|参照|对照|转发)[^,。;\n]*$")
_VENUE_BEFORE = re.compile(r"(在|于|赴|到)[^,。;\n]{0,4}$")
_VENUE_AFTER = re.compile(r"[^,。;\n]{0,12}?(举行|举办|召开|开幕|闭幕|开班|落幕|隆重|顺利|成功|圆满)")
_DATELINE = re.compile(
    r"(新华社|中新社|中新网|本报|本网|人民网|新华网|央广网|光明网|中国网|央视网|讯)[^,。;\n]{0,8}?"
    r"(\d{1,2}月\d{1,2}日)?(电|讯|消息)"
)
_SOURCE_LINE = re.compile(r"(来源|作者|编辑|发布|时间|供稿|稿件来源)[:：]|浏览次数|点击[数量]")
# A speaker's or guest's affiliation ("国家语委…主任周某应邀作讲座") is not the event's actor.
_AFFILIATION = re.compile(r"[^,。;\n]{0,20}?(主任|院长|校长|教授|导师|老师|专家|研究员|工程师|总监|总经理)")
# A 发文字号 line starting with a province's one-character abbreviation (赣助中心〔2017〕7号).
_ABBREVIATIONS = {
    "京": "北京", "津": "天津", "冀": "河北", "晋": "山西", "蒙": "内蒙古", "辽": "辽宁", "吉": "吉林", "黑": "黑龙江",
    "沪": "上海", "苏": "江苏", "浙": "浙江", "皖": "安徽", "闽": "福建", "赣": "江西", "鲁": "山东", "豫": "河南",
    "鄂": "湖北", "湘": "湖南", "粤": "广东", "桂": "广西", "琼": "海南", "渝": "重庆", "川": "四川", "黔": "贵州",
    "滇": "云南", "藏": "西藏", "陕": "陕西", "甘": "甘肃", "青": "青海", "宁": "宁夏", "新": "新疆",
}
_DOC_NUMBER = re.compile(f"^([{''.join(_ABBREVIATIONS)}])" + r"[\u4e00-\u9fff]{0,6}[〔\[(（【]\d{4}[〕\])）】]\s*\d+\s*号",
                         re.MULTILINE)
_CLAUSE = re.compile(r"[,。;\n!?]")
_CJK = re.compile(r"[\u3400-\u9fff]")

ACTOR, VENUE, WEAK, CHROME = 0, 1, 2, 3  # mention ranks: lower wins


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    region: str
    rank: int


# What follows a county's short form when it names the place (安吉县, 安吉一中, 安吉的), not a word
# that happens to contain it (金融安全, 共和国).
_SHORT_CONTEXT = re.compile(
    r"(县|市|区|镇|乡|街道|教育|教体|教科|中学|小学|中小学|[一二三四五六七八九]中|实验|职业|职教|电教|第[一二三四五六七八九十]|"
    r"高级中学|初中|高中|幼儿园|学校|籍|人民|地区|片区|经开区|高新区|智慧|[,。、;:)\s]|的|在|"
    r"[^,。;\s]{0,8}?(学校|中学|小学|学院|幼儿园|教育局|教学点))"
)


@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, str]
    lengths: dict[str, tuple[int, ...]]  # first character → name lengths, longest first
    strict: frozenset[str]  # counties' short forms and former names: they count only in a place's context
    prefixes: frozenset[str]  # every name's first two characters: most positions fail this one look-up

    def _fits(self, text: str, start: int, end: int, previous_end: int) -> bool:
        name = text[start:end]
        after_place = previous_end == start or (start and text[start - 1] in "在于赴到和与及、")
        if len(name) == 2 and name[1] in "县区市旗":  # 应县 inside 响应县教育局: a word boundary first
            return bool(after_place or start == 0 or not _CJK.match(text[start - 1]))
        if name[-1] == "区" and text.startswith("域", end):  # 露天区域 is an open-air area, not 露天区
            return False
        if name not in self.strict or after_place:
            return True
        return bool(_SHORT_CONTEXT.match(text, end))

    def scan(self, text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, str]]:
        """Longest names in text[start:end] in order, without overlaps: (start, end, region), found as
        asked for; positions index `text`, whose characters around the range still give context."""
        i, n, last = start, len(text) if end is None else end, -1
        prefixes = self.prefixes
        while i < n:
            if text[i:i + 2] not in prefixes:
                i += 1
                continue
            for size in self.lengths[text[i]]:
                region = i + size <= n and self.names.get(text[i:i + size])
                if region and self._fits(text, i, i + size, last):
                    yield i, i + size, region
                    i = last = i + size
                    break
            else:
                i += 1


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The place table with province names, read once per process."""
    names = {p: p for p in PROVINCES if p != "兵团"} | _ALIASES
    strict = set()
    for line in GAZETTEER_PATH.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, province, level = line.split("\t")
            names.setdefault(name, province)
            if level in ("county-short", "former"):  # old names too: 公园区 was a district of 佛山
                strict.add(name)
    lengths: dict[str, set[int]] = {}
    for name in names:
        lengths.setdefault(name[0], set()).add(len(name))
    return Gazetteer(names, {c: tuple(sorted(s, reverse=True)) for c, s in lengths.items()}, frozenset(strict),
                     frozenset(name[:2] for name in names))


def _rank(text: str, start: int, end: int, line_start: int, datelines: list[tuple[int, int]]) -> int:
    if _SOURCE_LINE.search(text, line_start, start + 1):
        return CHROME
    if any(a <= start < b for a, b in datelines):
        return WEAK
    clause_start = max((m.end() for m in _CLAUSE.finditer(text, max(0, start - 40), start)), default=0)
    before = text[max(clause_start, start - 30):start]
    inside_title = text.rfind("《", 0, start) > text.rfind("》", 0, start)
    if inside_title or _CITED.search(before) or text.startswith("《", end):
        return WEAK
    if (_VENUE_BEFORE.search(before) and _VENUE_AFTER.match(text, end)) or _AFFILIATION.match(text, end):
        return VENUE
    return ACTOR


def _found(text: str) -> Iterator[tuple[int, int, str]]:
    """National bodies, 发文字号 abbreviations and gazetteer names in text order; a name inside a
    body's name (北京 in 北京师范大学 is the institution's) is left out. Found line by line (no name
    spans a line), so a caller that stops at the first actor reads only the lines up to it."""
    places, start = gazetteer(), 0
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        bodies = [(m.start(), m.end(), NATIONAL) for m in NATIONAL_BODY.finditer(text, start, end)]
        bodies += [(m.start(), m.start() + 1, _ABBREVIATIONS[m.group(1)]) for m in _DOC_NUMBER.finditer(text, start, end)]
        names = list(places.scan(text, start, end))
        if bodies and names:
            names = [(a, b, r) for a, b, r in names if not any(x < b and a < y for x, y, _ in bodies)]
        yield from sorted(bodies + names) if bodies and names else bodies or names
        start = end + 1


def _ranked(text: str) -> Iterator[Mention]:
    datelines = [m.span() for m in _DATELINE.finditer(text)]
    for a, b, region in _found(text):
        yield Mention(a, b, region, _rank(text, a, b, text.rfind("\n", 0, a) + 1, datelines))


def mentions(text: str) -> list[Mention]:
    """Every place and national body in `text` (matching form), ranked by its role."""
    return list(_ranked(text))


def _territory(text: str) -> str | None:
    """Taiwan or Hong Kong when the text carries one of their own bodies or news columns."""
    if _TAIWAN.search(text):
        return "台湾"
    if _HONGKONG.search(text):
        return "香港"
    return None


def _localise(region: str, text: str) -> str:
    """An unqualified national body in a Taiwanese or Hong Kong text is that territory's."""
    return (_territory(text) or region) if region == NATIONAL else region


def actor_region(text: str) -> str | None:
    """The region of the best-ranked, earliest mention in `text` (title first, then body)."""
    best: Mention | None = None
    for mention in _ranked(text):
        if best is None or mention.rank < best.rank:
            best = mention
        if best.rank == ACTOR:
            break  # the earliest actor: nothing after it can win
    return _localise(best.region, text) if best else _territory(text)  # a school named only by itself


def regions_named(text: str) -> list[str]:
    """Every region a place or body in `text` belongs to, in order of first mention."""
    return list(dict.fromkeys(m.region for m in mentions(text)))
