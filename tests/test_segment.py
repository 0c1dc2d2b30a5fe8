"""Segmentation: monthly reports, numbered work points and plans (digits lost too), chrome, articles."""

from __future__ import annotations

from monitor.segment import clean_lines, detect_kind, detect_title, segment, split_heading

MONTHLY = """首页 > 信息公开 > 工作月报
2031年5月教育信息化和网络安全工作月报
  【摘要】多地召开教育信息化工作会议。部分省份发布数据管理办法。
  ★重点工作部署
  工作任务督办情况 (略)
  ★教育信息化重点工作进展
  智慧课堂应用 5月12日，某市举办智慧课堂应用展示活动，共200所学校参加。
  课堂展示活动持续进行，部分学校开放观摩。
  网络安全事件处置（略）
  ?。裕?</p>
  ★各地工作动态
  北京 5月6日，市教委召开教育数据治理推进会。
  内蒙古自治区 自治区教育厅印发《教育专网建设指南》。
  陜西 省教育厅举办网络安全培训班。
  新疆生产建设兵团 兵团组织开展优质课程评选。
来源：信息中心
（责任编辑：某某）
版权所有：某某网站 京ICP备00000000号
"""

WORK_POINTS = """某某教育网
2031年某省教育信息化工作要点发布
来源：某某公众号 时间：2031-02-03
2031年某省教育信息化工作要点
  今年工作的总体思路是：以高质量发展为主线，推进各项工作。
  一、夯实基础，强化保障
  1. 完善领导机制。定期召开领导小组会议，研究重点任务。
  2. 加快网络升级。推进校园网提速，开展IPv6改造。
  二、核心目标
  一是平台应用普及，注册用户持续增长。
  二是安全防护增强，完成等级保护测评。
  三、重点任务
  （一）推进资源建设
  3、建设精品课程资源
  遴选一批精品课程，汇聚到省级平台。
  第二段说明资源的审核流程。
  4、规范应用管理
  开展教育App备案，清理违规应用。
来源：某某公众号 责任编辑：某某
相关阅读
  • 另一条新闻的标题
    摘要文字不应成为条目。
"""


def _plan(drop: str | None = None) -> str:
    """A plan with 24 numbered tasks in eight groups, a summary, a framing chapter and an appendix."""
    lines = ["某省教育数字化规划发布", "《规划》要点摘编", "——夯实网络基础", "——丰富数字资源",
             "01基本原则", "一、发展基础", "（一）现状。过去五年网络覆盖率显著提升。",
             "二、重点任务"]
    n = 0
    for group in range(1, 9):
        lines.append(f"（{'一二三四五六七八'[group - 1]}）第{group}组任务。")
        for _ in range(3):
            n += 1
            lines.append(f"{n}.任务标题{n}号")
            lines.append(f"任务{n}号的正文，说明具体举措和要求。")
    lines += ["三、保障措施（一）加强组织领导。", "各级部门要明确职责分工。",
              "（二）强化经费保障。", "加大投入力度。", "附：专栏目录", "专栏一网络工程",
              "1.这不是任务", "正文"]
    text = "\n".join(lines)
    return text.replace(drop, "") if drop else text


def _items(text: str) -> tuple[str, list]:
    lines = clean_lines(text)
    title = detect_title(lines) or ""
    return segment(lines, detect_kind(title, lines), title)


def test_monthly_sections_entries_and_provinces() -> None:
    kind, items = _items(MONTHLY)
    assert kind == "monthly_report"
    titles = [s.title for s in items]
    assert titles == ["工作任务督办情况", "智慧课堂应用", "网络安全事件处置", "北京", "内蒙古自治区", "陜西",
                      "新疆生产建设兵团"]
    assert items[0].redacted and items[2].redacted and not items[1].redacted
    assert items[1].section == "教育信息化重点工作进展"
    assert "开放观摩" in items[1].text  # a continuation paragraph stays with its entry
    assert items[3].section == "各地工作动态" and items[3].place == "北京"
    assert items[3].text.startswith("5月6日")


def test_monthly_chrome_summary_and_garble_are_not_items() -> None:
    _, items = _items(MONTHLY)
    joined = "".join(s.title + s.text for s in items)
    for chrome in ("摘要", "ICP", "责任编辑", "来源", "</p>", "首页"):
        assert chrome not in joined


def test_traditional_monthly_sections_are_simplified() -> None:
    import opencc

    _, items = _items(opencc.OpenCC("s2t").convert(MONTHLY))
    assert items[1].section == "教育信息化重点工作进展"
    assert [s.title for s in items][3:5] == ["北京", "內蒙古自治區"]


def test_work_points_tasks_enums_and_chrome() -> None:
    kind, items = _items(WORK_POINTS)
    assert kind == "work_points"
    assert [s.title for s in items] == ["完善领导机制", "加快网络升级", "平台应用普及", "安全防护增强",
                                        "建设精品课程资源", "规范应用管理"]
    assert items[0].section == "夯实基础，强化保障"
    assert items[2].section == "核心目标"
    assert items[4].section == "推进资源建设"
    assert "审核流程" in items[4].text
    assert all("总体思路" not in s.text and "另一条新闻" not in s.text for s in items)


def test_plan_yields_every_task_in_order() -> None:
    kind, items = _items(_plan())
    assert kind == "plan"
    assert [s.title for s in items] == [f"任务标题{n}号" for n in range(1, 25)] + ["加强组织领导", "强化经费保障"]
    assert items[0].section == "第1组任务"
    assert items[-1].section == "保障措施"


def test_plan_with_every_2_dropped_keeps_all_tasks() -> None:
    kind, items = _items(_plan(drop="2"))
    assert kind == "plan"
    tasks = items[:-2]
    assert len(tasks) == 24
    assert [s.title for s in tasks] == [f"任务标题{str(n).replace('2', '')}号" for n in range(1, 25)]


def test_plan_with_a_number_lost_entirely_keeps_the_task() -> None:
    text = _plan().replace("\n5.任务标题5号\n", "\n任务标题5号\n")
    _, items = _items(text)
    assert [s.title for s in items][3:6] == ["任务标题4号", "任务标题5号", "任务标题6号"]


def test_plan_with_every_1_dropped_keeps_all_tasks() -> None:
    _, items = _items(_plan(drop="1"))
    assert len(items) == 26


def test_monthly_entries_with_colons_and_suffixed_provinces() -> None:
    text = "2031年6月教育信息化工作月报\n★工作进展\n课程建设：新增课程资源300门，覆盖全部学段。\n" \
           "★各地工作动态\n河北省 省教育厅召开推进会。\n山西：省教育厅举办培训班。"
    _, items = _items(text)
    assert [(s.title, s.text) for s in items] == [
        ("课程建设", "新增课程资源300门，覆盖全部学段。"), ("河北省", "省教育厅召开推进会。"),
        ("山西", "省教育厅举办培训班。")]


def test_heading_split_rejects_sentences_and_dates() -> None:
    assert split_heading("智慧课堂应用 某市举办活动") == ("智慧课堂应用", "某市举办活动")
    assert split_heading("5月12日，某市举办 活动") is None
    assert split_heading("省教育厅印发《2031 年要点》") is None
    assert split_heading("没有空格的一行") is None


def test_other_text_is_one_article() -> None:
    text = "某市教育局关于开展读书月活动的新闻\n本月，全市中小学开展读书月活动。\n活动包括讲座和展览。"
    kind, items = _items(text)
    assert kind == "article" and len(items) == 1
    assert items[0].title == "某市教育局关于开展读书月活动的新闻"
    assert "讲座和展览" in items[0].text


def test_structured_title_without_structure_falls_back_to_article() -> None:
    kind, items = _items("某区召开落实工作要点推进会\n会议听取了各校汇报。")
    assert kind == "article" and len(items) == 1


def test_garbled_input_never_becomes_structure() -> None:
    kind, items = _items("????\n</p>\n★??\n★\n1.\n锟斤拷??????")
    assert all(s.title.strip() for s in items)
    assert kind in ("monthly_report", "article")
