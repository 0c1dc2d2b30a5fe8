"""Page layout: roundups split by entry, pages without line breaks reflowed, event plans as one."""

from __future__ import annotations

from monitor import layout
from monitor.understand import understand

CHRONICLE = """2023年区教育信息化十大新闻
编者按：回顾一年来的重点工作，评选出以下十大新闻。
一、全区中小学接入教育专网
3月起，区教育局完成全部78所学校的专网接入，出口带宽提升到万兆。
二、区智慧教育平台正式上线
6月1日，区智慧教育平台上线运行，汇聚课程资源1.2万节。
三、网络安全攻防演练首次举行
9月，区教育局组织全区学校开展网络安全攻防演练。
四、校园足球联赛
"""

TIMELINE = """本区教育技术大事年表
• Period: to
起步阶段
• 区电教站成立，负责全区幻灯和录音教学设备的管理。
• 全区第一间多媒体教室在实验小学建成并投入使用。
• 区教育局举办首期教师计算机培训班，80名教师参训。
"""

COMPILATION = """前言：我们为您整理了2篇学校信息化工作总结范文，供参考。
信息化工作总结范文第1篇
本学期学校完成校园网改造，更新教师电脑60台，开展信息技术培训4次。
信息化工作总结范文第2篇
学校组织教师参加区级优质课评选，3名教师获一等奖。
"""


def test_a_chronicle_is_one_item_per_entry_and_a_bare_heading_is_none() -> None:
    doc = understand(CHRONICLE)
    assert [item.title for item in doc.items] == ["全区中小学接入教育专网", "区智慧教育平台正式上线",
                                                  "网络安全攻防演练首次举行"]
    assert "platform_launch" in doc.items[1].labels


def test_a_timeline_is_one_item_per_bullet_under_its_period() -> None:
    doc = understand(TIMELINE)
    assert len(doc.items) == 3
    assert {item.section for item in doc.items} == {"起步阶段"}
    assert doc.items[1].text.startswith("全区第一间多媒体教室")


def test_a_compilation_is_one_item_per_model_text() -> None:
    doc = understand(COMPILATION)
    assert [item.text[:6] for item in doc.items] == ["本学期学校完", "学校组织教师"]


def test_an_event_plan_is_one_document() -> None:
    plan = ("全区网络安全宣传周活动方案\n一、活动主题\n网络安全进校园\n二、活动时间\n9月9日至15日\n"
            "三、活动内容\n1.开展网络安全主题班会。\n2.举办网络安全知识讲座。\n3.悬挂宣传横幅。")
    doc = understand(plan)
    assert doc.kind == "article" and len(doc.items) == 1


def test_a_page_that_lost_its_line_breaks_is_cut_at_its_numbered_structure() -> None:
    body = ("2024年某市教育信息化工作要点2024年某市教育信息化工作要点各县区教育局：现将要点印发给你们，"
            "请结合实际认真落实。一、夯实基础环境1.推进教育专网建设，完成全部学校接入。2.完成1、2号楼"
            "机房改造，实现万兆到校。二、深化资源应用1.推广国家智慧教育平台，组织教师常态化使用，开展"
            "优秀课例评选。2.建设市级精品课程100门，扩大优质资源覆盖。3.开展数字教材试点，覆盖20所学校。")
    page = body + "另附说明：" + "本要点由市教育局负责解释。" * 20
    lines = layout.reflow([page])
    assert lines[0] == "2024年某市教育信息化工作要点"
    assert any(line.startswith("2.完成1、2号楼机房改造") for line in lines)  # 1、2号楼 stays whole
    doc = understand(page)
    assert doc.kind == "work_points"
    assert [item.title for item in doc.items][:2] == ["推进教育专网建设", "完成1、2号楼机房改造"]


def test_short_lines_are_left_alone() -> None:
    assert layout.reflow(["一、总体要求1.坚持应用为王。2.坚持安全第一。"]) == ["一、总体要求1.坚持应用为王。2.坚持安全第一。"]


def test_a_report_excerpt_without_its_title_is_still_a_monthly_report() -> None:
    excerpt = ("【摘要】3月，教育部召开会议部署工作，各地推进教育数字化。\n★重要工作部署\n"
               "教育部召开2024年教育信息化工作会议 3月5日，教育部召开会议，部署全年工作。\n★各地工作动态\n"
               "江苏省教育厅印发《智慧校园建设指南》。3月10日，江苏省教育厅印发指南。\n"
               "浙江省举办教师数字素养培训班。3月12日，浙江省教育厅举办培训班，500人参加。")
    doc = understand(excerpt)
    assert doc.kind == "monthly_report"
    assert [(item.region, item.date) for item in doc.items] == [
        ("全国", "2024-03-05"), ("江苏", "2024-03-10"), ("浙江", "2024-03-12")]
