"""The fixed label set and region names of TAXONOMY.md: the contract shared by classifier, database and routes."""

from __future__ import annotations

LABELS: dict[str, str] = {
    "security_incident": "网络安全事件",
    "cybersecurity": "网络安全工作",
    "app_governance": "教育App治理",
    "platform_launch": "平台上线",
    "policy_document": "政策文件",
    "data_governance": "数据治理",
    "meeting": "会议活动",
    "training": "培训研修",
    "competition_selection": "评选竞赛",
    "infrastructure": "基础设施",
    "digital_resources": "数字资源",
    "artificial_intelligence": "人工智能",
}

NATIONAL = "全国"

PROVINCES: tuple[str, ...] = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "兵团", "香港", "澳门", "台湾",
)

REGIONS: tuple[str, ...] = (NATIONAL, *PROVINCES)

# Official full names that do not start with the short name, and names that map elsewhere.
FULL_NAMES: dict[str, str] = {
    "新疆生产建设兵团": "兵团", "内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆", "香港特别行政区": "香港", "澳门特别行政区": "澳门",
}


def label_name(label: str) -> str:
    """The Chinese display name of a label id (the id itself when unknown)."""
    return LABELS.get(label, label)
