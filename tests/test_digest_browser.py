"""The HTML digest as a phone shows it: headless Chromium renders it to a PNG that must not be blank.

`python tests/test_digest_browser.py docs/digest.png` regenerates the screenshot in the docs.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.render import AlertItem, digest_html
from support.browser import CHROMIUM, assert_drawn, png_pixels, shoot

START, END = datetime(2025, 3, 16, 0, 0, tzinfo=UTC), datetime(2025, 3, 17, 0, 0, tzinfo=UTC)


def _item(title: str, text: str, labels: list[str], evidence: dict, region: str, date: str | None,
          figures: list[dict], doc: str, url: str, source: str) -> AlertItem:
    return AlertItem(title=title, text=text, section=None, labels=labels, evidence=evidence, region=region,
                     date=date, date_end=None, figures=figures, document_title=doc, document_url=url,
                     source_id=source, source_name=source, published_at=START)


def example_items() -> list[AlertItem]:
    """A realistic day: an incident notice, security work, an app rectification, a launch, a chat."""
    return [
        _item("关于部分高校门户网站存在高危漏洞的通报", "近期监测发现部分高校门户网站使用的内容管理系统存在高危漏洞，"
              "已向12所高校发出整改通知，要求3个工作日内完成修复并报送整改报告。",
              ["security_incident"], {"security_incident": ["漏洞", "通报", "整改"]}, "全国", "2025-03-15",
              [{"text": "12所", "value": 12, "unit": "所"}], "网络安全通报（2025年第3期）",
              "https://www.moe.gov.cn/s78/A16/tongzhi/202503/t20250315_100001.html", "教育部科技司"),
        _item("开展2025年教育系统网络安全攻防演习", "省教育厅组织全省高校开展网络安全攻防演习，"
              "共有86家单位参加，发现并整改安全隐患241个。", ["cybersecurity"],
              {"cybersecurity": ["攻防演习"]}, "浙江", "2025-03-12",
              [{"text": "86家", "value": 86, "unit": "家"}, {"text": "241个", "value": 241, "unit": "个"}],
              "浙江教育信息化工作动态", "https://jyt.zj.gov.cn/art/2025/3/16/art_1532973_58.html", "浙江省教育厅"),
        _item("部署教育App专项治理和备案核查", "对全省教育移动应用开展备案核查，下架未备案App 37个，"
              "受理投诉举报52起。", ["app_governance"], {"app_governance": ["教育App", "备案", "投诉举报"]},
              "甘肃", "2025-03-14", [{"text": "37个", "value": 37, "unit": "个"}, {"text": "52起", "value": 52, "unit": "起"}],
              "关于开展教育App专项治理的通知", "http://jyt.gansu.gov.cn/jyt/c107431/202503/12345.shtml", "甘肃省教育厅"),
        _item("省级智慧教育平台2.0正式上线", "平台汇聚优质课程资源1.2万节，面向全省中小学师生开放使用。",
              ["platform_launch", "digital_resources"], {"platform_launch": ["正式上线"], "digital_resources": ["课程资源"]},
              "四川", "2025-03-10", [{"text": "1.2万节", "value": 12000, "unit": "节"}],
              "四川教育信息化简报", "https://edu.sc.gov.cn/scedu/c100495/2025/3/16/abc.shtml", "四川省教育厅"),
        _item("印发《教育数据安全管理办法（试行）》", "明确数据分类分级、共享审批和个人信息保护要求。",
              ["policy_document", "data_governance"], {"policy_document": ["印发《"], "data_governance": ["数据安全", "分类分级"]},
              "全国", "2025-03-14", [], "教育部关于印发管理办法的通知",
              "https://www.moe.gov.cn/srcsite/A16/s3342/202503/t20250314_100002.html", "教育部"),
        _item("坚持以习近平新时代中国特色社会主义思想为指导", "全面贯彻党的教育方针，推进教育数字化。", [], {},
              "全国", None, [], "2025年教育信息化工作要点",
              "https://www.moe.gov.cn/srcsite/A16/s3342/202503/t20250310_100003.html", "教育部"),
    ]


def screenshot(html: str, png: Path, width: int = 420, height: int = 1400) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "digest.html"
        page.write_text(html, encoding="utf-8")
        shoot(page.as_uri(), png, width, height)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_the_digest_renders_on_a_phone_width(tmp_path: Path) -> None:
    png = tmp_path / "digest.png"
    screenshot(digest_html(example_items(), "daily-digest", START, END), png)
    assert png.stat().st_size > 10_000
    width, height, rows = png_pixels(png.read_bytes())
    assert (width, height) == (420, 1400)
    assert_drawn(width, rows)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/digest.png")
    screenshot(digest_html(example_items(), "daily-digest", START, END), target)
    print(f"wrote {target}")
