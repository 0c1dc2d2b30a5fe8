"""Regenerate gazetteer.tsv: every province-, prefecture- and county-level division and every
higher-education institution of mainland China, mapped to its province's short name.

The table is generated, never typed by hand. Sources:
- administrative divisions: `adcodes.csv` of the `cpca` package (民政部 codes; the first two
  digits of an adcode are the province), read from the installed package by default;
- former names: the CSV summary of the history of those codes since 1981 (`result.csv` of the
  areacodes data set, columns 代码, 名称, 状态: a division no longer 在用 was renamed, merged or
  abolished), given with --former; a former name that is some division's current name is left out;
- institutions: 教育部《全国高等学校名单》 as a JSON array of objects with `name` and `code`
  (学校标识码: 41, then the province's code), given with --universities. A file that
  wraps the array in other text (a JavaScript module) is accepted: the outermost [...] is read.

    python3 -m venv .gaz && .gaz/bin/pip install cpca
    .gaz/bin/python monitor/data/build_gazetteer.py --universities schools.json --former result.csv

Short forms (温州 for 温州市, 安吉 for 安吉县, 恩施 for 恩施土家族苗族自治州) are derived by rule and
marked `-short` in the level column, so a reader can ask more context of them; a name or short
form that two provinces share is dropped, and so are short forms that are ordinary words
(STOPWORDS) or provinces' own names.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).with_name("gazetteer.tsv")

PROVINCE_CODES = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林",
    "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东", "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃",
    "63": "青海", "64": "宁夏", "65": "新疆", "71": "台湾", "81": "香港", "82": "澳门",
}
# Short forms that are everyday words in education news, so a bare match says nothing of place.
STOPWORDS = {
    "资源", "合作", "大方", "东方", "江山", "永安", "安宁", "长安", "和平", "新华", "城关", "光明", "新建",
    "平安", "红旗", "青山", "金山", "万全", "城区", "郊区", "矿区", "市中", "开平", "明光", "正安", "安定",
    "龙华", "普安", "长宁", "新城", "西湖", "白云", "南山", "北海", "东海", "南海", "宁国", "五指", "太平",
    "新兴", "德化", "仁化", "和县", "兴业", "建德", "信宜", "安远", "太和", "安福", "公安", "安全", "文化",
    "永新", "长丰", "通化", "清新", "鼓楼", "中山", "高新", "开发", "宁安", "新乡", "大通", "海安", "崇义",
    "临沧", "定安", "保定", "清河", "新区", "红星", "前进", "先锋", "胜利", "铁力", "尚志", "宁强", "凤凰",
    "东山", "大理", "丰都", "城中", "城东", "城西", "城北", "江南", "江北", "河东", "河西", "山南", "龙门",
    "阿里", "大厂", "共和", "融安", "正阳", "新安", "武功", "文明", "和谐",
}
_SUFFIX = re.compile(r"(自治县|自治旗|自治州|特区|林区|地区|新区|市|县|区|旗|盟)$")


def _cpca_resources() -> Path:
    """The installed cpca package's data folder, found without importing it (it needs pandas)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or spec.origin is None:
        raise SystemExit("install the cpca package first (pip install cpca)")
    return Path(spec.origin).parent / "resources"


def _ethnic_names() -> list[str]:
    text = (_cpca_resources() / "56_nations.csv").read_text(encoding="utf-8")
    return sorted({line.strip() for line in text.splitlines() if line.strip()}, key=len, reverse=True)


def short_form(name: str, ethnic: list[str]) -> str | None:
    """温州市 → 温州, 恩施土家族苗族自治州 → 恩施; None when nothing is left or nothing was cut."""
    m = _SUFFIX.search(name)
    if not m:
        return None
    stem = name[: m.start()]
    stripped = True
    while stripped:
        stripped = False
        for nation in ethnic:
            if len(stem) > len(nation) + 1 and stem.endswith(nation):
                stem, stripped = stem[: -len(nation)], True
    return stem if len(stem) >= 2 else None


def divisions(path: Path, ethnic: list[str]) -> list[tuple[str, str, str]]:
    """(name, province, level) for every division and its short form."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            code, name = rec["adcode"], rec["name"].strip()
            province = PROVINCE_CODES.get(code[:2])
            if not province or code[2:] == "0" * 10:
                continue
            level = "prefecture" if code[4:] == "0" * 8 else "county"
            if len(name) < 2:
                continue  # a placeholder row (重庆's 县), not a name
            rows.append((name, province, level))
            short = short_form(name, ethnic)
            if short and short not in STOPWORDS:
                rows.append((short, province, f"{level}-short"))
    return rows


def former_divisions(path: Path, current: set[str]) -> list[tuple[str, str, str]]:
    """(name, province, "former") for divisions no longer in use under that name. Only full names:
    the short forms of old names are too often ordinary words today (公园, 露天, 东郊)."""
    rows = []
    with path.open(encoding="utf-8-sig") as fh:
        for rec in csv.DictReader(fh):
            province, name = PROVINCE_CODES.get(rec["代码"][:2]), rec["名称"].strip()
            if rec["状态"] == "在用" or not province or rec["代码"][2:] == "0000" or len(name) < 3:
                continue
            if name not in current and _SUFFIX.sub("", name) not in PROVINCE_CODES.values():  # 重庆市 of 四川
                rows.append((name, province, "former"))
    return rows


def universities(path: Path) -> list[tuple[str, str, str]]:
    text = path.read_text(encoding="utf-8")
    records = json.loads(text[text.index("["): text.rindex("]") + 1])
    rows = []
    for rec in records:
        name = re.sub(r"\s+", "", str(rec.get("name", ""))).replace("（", "(").replace("）", ")")
        province = PROVINCE_CODES.get(str(rec.get("code", ""))[2:4])
        if name and province:
            rows.append((name, province, "institution"))
    return rows


_PREFERENCE = ("prefecture", "prefecture-short", "county", "institution", "county-short", "former")


def unambiguous(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """One row per name; names two provinces share, and province names themselves, are dropped."""
    provinces: dict[str, set[str]] = {}
    first: dict[str, tuple[str, str, str]] = {}
    for row in sorted(rows, key=lambda r: _PREFERENCE.index(r[2])):  # 长沙: the city's, not the county's
        provinces.setdefault(row[0], set()).add(row[1])
        first.setdefault(row[0], row)
    own = set(PROVINCE_CODES.values())
    return sorted((r for n, r in first.items() if len(provinces[n]) == 1 and n not in own),
                  key=lambda r: (r[2], r[1], r[0]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adcodes", type=Path, help="cpca's adcodes.csv (default: the installed package's)")
    ap.add_argument("--universities", type=Path, required=True, help="JSON array of {name, code}")
    ap.add_argument("--former", type=Path, required=True, help="the code history's result.csv")
    args = ap.parse_args()
    ethnic = _ethnic_names()
    adcodes = args.adcodes or _cpca_resources() / "adcodes.csv"
    current = divisions(adcodes, ethnic) + universities(args.universities)
    former = former_divisions(args.former, {row[0] for row in current})
    rows = unambiguous(current + former)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        fh.write("# generated by build_gazetteer.py: name\tprovince\tlevel\n")
        for row in rows:
            fh.write("\t".join(row) + "\n")
    print(f"{len(rows)} names written to {OUT.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
