"""The built-in source catalog: it loads, covers the required authorities, and every entry's
selectors read a list page of its site's family (fixture pages served over loopback HTTP)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
import yaml

from monitor.catalog import Source, load_catalog
from monitor.fetch import Fetcher
from monitor.listing import Link, links_for, list_base, page_urls
from monitor.settings import ConfigError
from monitor.taxonomy import PROVINCES
from support.pages import PageServer, loopback_fetcher, serve_pages

FIXTURES = Path(__file__).parent / "fixtures" / "catalog"
EXPECTED = yaml.safe_load((FIXTURES / "expected.yml").read_text(encoding="utf-8"))
CATALOG = load_catalog()

PROVINCIAL = set(PROVINCES[:PROVINCES.index("兵团") + 1])  # the 31 provinces and 兵团 (not HK, Macao, Taiwan)
# Entries with list selectors are read against a fixture of their own; URL-only entries (no selectors:
# automatic list detection) are covered by the detection tests over every CMS family.
WITH_SELECTORS = [s for s in CATALOG if s.list.item is not None or s.module or s.kind == "feed"]
URL_ONLY = [s for s in CATALOG if s not in WITH_SELECTORS]
REQUIRED_MOE_PATHS = {"/s78/A16/gongzuo/gzzl_yb/", "/jyb_xxgk/xxgk/neirong/fenlei/sxml_jyxxh/jyxxh_xxh/xxh_gzyb/",
                      "/s78/A16/tongzhi/", "/jyb_xwfb/s271/", "/jyb_xwfb/gzdt_gzdt/"}
_TYPES = {"json": "application/json; charset=utf-8", "xml": "application/xml", "html": "text/html"}


# ---------------------------------------------------------------- (a) the catalog itself

def test_builtin_catalog_loads_with_unique_ids_and_enough_sources() -> None:
    ids = [s.id for s in CATALOG]
    assert len(ids) >= 60
    assert len(ids) == len(set(ids))


def test_catalog_covers_every_provincial_authority_and_the_ministry_columns() -> None:
    assert len(PROVINCIAL) == 32
    assert {s.region for s in CATALOG} >= PROVINCIAL | {"全国"}
    enabled = {s.region for s in CATALOG if s.enabled}
    for region in PROVINCIAL - enabled:  # a region with no enabled entry says why in each of its entries
        assert all("Disabled" in (s.notes or "") for s in CATALOG if s.region == region), region
    assert len(PROVINCIAL - enabled) <= 2
    moe = [s for s in CATALOG if s.host == "www.moe.gov.cn"]
    assert {urlsplit(s.url).path for s in moe} >= REQUIRED_MOE_PATHS
    assert any("channelid=239993" in s.url for s in moe), "教育部文件 (WAS channel)"
    assert any(s.host == "www.cac.gov.cn" for s in CATALOG)


CAPITALS = {"河北": "石家庄", "山西": "太原", "内蒙古": "呼和浩特", "辽宁": "沈阳", "吉林": "长春", "黑龙江": "哈尔滨",
            "江苏": "南京", "浙江": "杭州", "安徽": "合肥", "福建": "福州", "江西": "南昌", "山东": "济南", "河南": "郑州",
            "湖北": "武汉", "湖南": "长沙", "广东": "广州", "广西": "南宁", "海南": "海口", "四川": "成都", "贵州": "贵阳",
            "云南": "昆明", "西藏": "拉萨", "陕西": "西安", "甘肃": "兰州", "青海": "西宁", "宁夏": "银川", "新疆": "乌鲁木齐"}
BUSY_CITIES = [("广东", "深圳"), ("山东", "青岛"), ("辽宁", "大连"), ("浙江", "宁波"), ("福建", "厦门")]


def test_catalog_has_ninety_enabled_entries_and_every_provincial_capitals_bureau() -> None:
    assert len([s for s in CATALOG if s.enabled]) >= 90
    for region, city in [*CAPITALS.items(), *BUSY_CITIES]:
        (bureau,) = [s for s in CATALOG if s.name.startswith(f"{city}市教育")]
        assert bureau.region == region and bureau in URL_ONLY, bureau.id
        assert "not fetched" in (bureau.notes or ""), "city entries say they were never fetched from here"
    enabled_capitals = [city for city in CAPITALS.values() if any(s.enabled and s.name.startswith(city) for s in CATALOG)]
    assert len(enabled_capitals) >= 25


def test_catalog_entries_are_complete() -> None:
    for source in CATALOG:
        assert source.name and source.notes, source.id
        assert source.preset is not None or source in URL_ONLY, source.id
        if not source.enabled:
            assert "Disabled" in (source.notes or ""), f"{source.id}: say why it is disabled"
    yuebao = {s.id: s for s in CATALOG}["moe-xxh-yuebao"]
    assert yuebao.every == dt.timedelta(hours=6)
    assert all(dt.timedelta(hours=12) <= s.every <= dt.timedelta(days=1) for s in CATALOG if s.id != "moe-xxh-yuebao")


def test_url_only_entries_say_what_is_verified_and_what_is_assumed() -> None:
    assert len(URL_ONLY) >= 25
    for source in URL_ONLY:
        assert source.kind == "html" and source.module is None and source.min_links >= 1, source.id
        assert "URL-only" in (source.notes or "") and "Assumed:" in (source.notes or ""), source.id
        assert "Seen:" in (source.notes or "") or "Verified:" in (source.notes or ""), source.id


def test_every_catalog_entry_with_selectors_has_a_fixture_and_expectations() -> None:
    ids = {s.id for s in WITH_SELECTORS}
    assert set(EXPECTED) == ids
    assert {p.stem for p in FIXTURES.iterdir() if p.name != "expected.yml"} == ids
    not_utf8 = [p.name for p in FIXTURES.glob("*.html") if not _decodes(p.read_bytes(), "utf-8")]
    assert len(not_utf8) >= 2, "some fixtures are GB18030 with only a <meta> charset"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def test_page_urls_follow_each_family() -> None:
    by_id = {s.id: s for s in CATALOG}
    assert page_urls(by_id["moe-xxh-yuebao"], 2)[1] == "https://www.moe.gov.cn/s78/A16/gongzuo/gzzl_yb/index_1.html"
    assert page_urls(by_id["cac-wxfb"], 3)[2] == "https://www.cac.gov.cn/wxzw/wxfb/A093702index_3.htm"
    assert page_urls(by_id["moe-jybwj"], 2)[1] == "http://www.moe.gov.cn/was5/web/search?channelid=239993&page=2"
    assert page_urls(by_id["guangdong-jyt-gkmlpt"], 2)[1].endswith("/gkmlpt/api/all/1620?sid=168&page=2")
    assert page_urls(by_id["jiangsu-jyt-tzgg"], 3) == [by_id["jiangsu-jyt-tzgg"].url]  # uid unknown: page 1 only


# ---------------------------------------------------------------- (b) every entry against its fixture

@pytest.fixture(scope="module")
def site() -> Iterator[PageServer]:
    with serve_pages() as server:
        yield server


@pytest.fixture(scope="module")
def fetcher() -> Iterator[Fetcher]:
    with loopback_fetcher() as fetcher:
        yield fetcher


def local_copy(source: Source, base: str) -> Source:
    """The entry with its URL moved to the loopback server (same path and query), robots off; the
    real host stays allowed, so absolute links to it still count as the site's own."""
    parts = urlsplit(source.url)
    local = urlunsplit((*urlsplit(base)[:2], parts.path, parts.query, ""))
    return source.model_copy(update={"url": local, "robots": False,
                                     "allow_hosts": (*source.allow_hosts, source.host)})


def fixture_file(source_id: str) -> Path:
    (found,) = [p for p in FIXTURES.glob(f"{source_id}.*")]
    return found


def expected_links(source_id: str, list_url: str) -> list[Link]:
    base = list_base(list_url)
    return [Link(url=urljoin(base, e["url"]), title=e["title"], date=e["date"]) for e in EXPECTED[source_id]]


@pytest.mark.parametrize("source", WITH_SELECTORS, ids=lambda s: s.id)
def test_entry_reads_its_fixture_list_page(source: Source, site: PageServer, fetcher: Fetcher) -> None:
    path = fixture_file(source.id)
    local = local_copy(source, site.base)
    parts = urlsplit(local.url)
    site.pages = {parts.path + (f"?{parts.query}" if parts.query else ""):
                  (path.read_bytes(), _TYPES[path.suffix.lstrip(".")])}
    result = fetcher.get(local.url, source=local)
    assert result.status == 200 and result.blocked is None and result.text

    links = links_for(result, local)

    assert links == expected_links(source.id, local.url)
    assert all("\ufffd" not in link.title for link in links), "decoded with the wrong charset"
    if source.enabled:
        assert len(links) >= source.min_links


def test_tianjin_links_come_from_onclick_and_titles_from_the_paragraph(site: PageServer, fetcher: Fetcher) -> None:
    (source,) = [s for s in CATALOG if s.id == "tianjin-jw-tzgg"]
    text = fixture_file(source.id).read_text(encoding="utf-8")
    assert "isDownLoad(this," in text and 'href="javascript:void(0)"' in text
    local = local_copy(source, site.base)
    site.pages = {urlsplit(local.url).path: (text.encode("utf-8"), "text/html")}
    links = links_for(fetcher.get(local.url, source=local), local)
    assert links[0].url.endswith("/ZWGK_52172/TZGG/202611/t20261126_6710021.html")
    assert not any(link.title.endswith(link.date.isoformat()) for link in links if link.date)


# ---------------------------------------------------------------- (c) validation errors name file and id

def _catalog_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ENTRY = """
- id: {id}
  name: 测试源
  region: {region}
  url: https://jyt.example.gov.cn/tzgg/
  preset: trs
  every: 12h
{extra}"""


@pytest.mark.parametrize(("fields", "complaint"), [
    ({"id": "demo-src", "region": "北京", "extra": "  colour: blue\n"}, "colour"),
    ({"id": "Bad_ID", "region": "北京", "extra": ""}, "kebab-case"),
    ({"id": "demo-src", "region": "北京市", "extra": ""}, "unknown region"),
    ({"id": "demo-src", "region": "北京", "extra": "  list:\n    item: li\n    colour: blue\n"}, "list.colour"),
])
def test_invalid_entries_name_file_and_id(tmp_path: Path, fields: dict[str, str], complaint: str) -> None:
    path = _catalog_file(tmp_path, "mine.yml", ENTRY.format(**fields))
    with pytest.raises(ConfigError) as caught:
        load_catalog(builtin=False, files=[path])
    message = str(caught.value)
    assert str(path) in message and fields["id"] in message and complaint in message


def test_duplicate_id_across_files_names_both_files_and_the_id(tmp_path: Path) -> None:
    first = _catalog_file(tmp_path, "a.yml", ENTRY.format(id="same-src", region="北京", extra=""))
    second = _catalog_file(tmp_path, "b.yml", ENTRY.format(id="same-src", region="天津", extra=""))
    with pytest.raises(ConfigError) as caught:
        load_catalog(builtin=False, files=[first, second])
    message = str(caught.value)
    assert str(second) in message and str(first) in message and "same-src" in message


def test_user_file_reusing_a_builtin_id_is_refused(tmp_path: Path) -> None:
    mine = _catalog_file(tmp_path, "mine.yml", ENTRY.format(id="moe-xxh-yuebao", region="全国", extra=""))
    with pytest.raises(ConfigError, match=r"moe-xxh-yuebao: id already used in sources/moe\.yml"):
        load_catalog(files=[mine])


# ---------------------------------------------------------------- (d) presets merge key by key

def test_entry_list_item_overrides_the_preset_and_keeps_its_link_and_date(tmp_path: Path) -> None:
    extra = "  list:\n    item: \"div.announce_list ul li\"\n"
    path = _catalog_file(tmp_path, "mine.yml", ENTRY.format(id="demo-src", region="北京", extra=extra))
    (source,) = load_catalog(builtin=False, files=[path])
    assert source.list.item == "div.announce_list ul li"
    assert (source.list.link, source.list.date) == ("a", "span")  # from the trs preset
    assert source.detail.body and ".TRS_Editor" in source.detail.body
    assert source.pagination == "{base}index_{n0}.html"


def test_entry_detail_key_overrides_only_that_key(tmp_path: Path) -> None:
    extra = "  detail:\n    remove: \".share\"\n"
    path = _catalog_file(tmp_path, "mine.yml", ENTRY.format(id="demo-src", region="北京", extra=extra))
    (source,) = load_catalog(builtin=False, files=[path])
    assert source.detail.remove == ".share" and ".TRS_Editor" in (source.detail.body or "")
    by_id = {s.id: s for s in CATALOG}
    assert by_id["tianjin-jw-tzgg"].list.title == "p.list-content"
    assert by_id["guangdong-jyt-gkmlpt"].module == "gkmlpt"  # the gkmlpt preset names the site module
