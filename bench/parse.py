"""Benchmark of the understand step (segment + enrich + classify) on generated documents.

Generates report-sized documents of every kind, half of them converted to traditional script,
and prints the throughput as its last line: "N documents/s, M items/s".

    .venv/bin/python bench/parse.py [--docs 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import opencc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.taxonomy import PROVINCES
from monitor.understand import understand

ACTORS = ["省教育厅", "市教委", "自治区教育厅", "省电教馆", "教育部", "中央电教馆"]
ACTIONS = [
    "印发《关于推进{x}的实施意见》", "召开{x}工作推进会", "举办{x}专题培训班，共{n}人参训",
    "组织开展{x}优秀案例遴选", "完成{n}所学校{x}评估", "上线{x}服务平台", "开展{x}专项检查和应急演练",
    "发布《{x}发展报告》", "推进{x}建设，新增{n}个", "部署{x}备案工作",
]
TOPICS = ["智慧校园", "教育数据治理", "网络安全等级保护", "数字教育资源", "教育App", "人工智能教育",
          "教育专网", "教师数字素养", "精品课程", "网络学习空间"]
CN = "一二三四五六七八九十"


def _sentence(rng: random.Random) -> str:
    action = rng.choice(ACTIONS).format(x=rng.choice(TOPICS), n=rng.randint(10, 9000))
    return f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日，{rng.choice(ACTORS)}{action}"


def _paragraph(rng: random.Random, k: int = 6) -> str:
    return "，".join(_sentence(rng) for _ in range(k)) + "。"


def monthly(rng: random.Random) -> str:
    year, month = rng.randint(2019, 2030), rng.randint(1, 12)
    lines = [f"{year}年{month}月教育信息化和网络安全工作月报", "【摘要】" + _paragraph(rng, 2)]
    for section in ("重要工作部署", "教育信息化重点工作进展", "网络安全重点工作进展", "相关工作资讯"):
        lines.append(f"★{section}")
        for _ in range(rng.randint(3, 6)):
            heading = rng.choice(TOPICS) + rng.choice(["进展", "工作", "应用", "建设"])
            lines.append(f"{heading} " + (_paragraph(rng) if rng.random() > 0.1 else "(略)"))
    lines.append("★各地工作动态")
    lines += [f"{p} " + _paragraph(rng) for p in rng.sample(PROVINCES, 28)]
    return "\n".join([*lines, "版权所有：某某网站 京ICP备00000000号"])


def numbered(rng: random.Random, kind: str) -> str:
    year = rng.randint(2019, 2030)
    title = f"{year}年教育信息化工作要点" if kind == "work_points" else "某省教育数字化发展规划"
    lines = [title, "来源：某某 时间：2024-01-01", "一、指导思想", _paragraph(rng)]
    n = 0
    for c in range(1, 8):
        lines.append(f"{CN[c]}、{rng.choice(TOPICS)}任务")
        for _ in range(rng.randint(2, 4)):
            n += 1
            lines.append(f"{n}. 推进{rng.choice(TOPICS)}。" + _paragraph(rng, 4))
            lines.append(_paragraph(rng, 4))
    text = "\n".join([*lines, "相关阅读", "另一条新闻"])
    return text.replace("2", "") if kind == "plan" else text


def article(rng: random.Random) -> str:
    return "\n".join([f"{rng.choice(ACTORS)}推进{rng.choice(TOPICS)}工作"]
                     + [_paragraph(rng, 6) for _ in range(14)] + ["责任编辑：某某"])


def generate(count: int, seed: int) -> list[str]:
    rng, s2t = random.Random(seed), opencc.OpenCC("s2t")
    makers = [monthly, lambda r: numbered(r, "work_points"), lambda r: numbered(r, "plan"), article]
    docs = [makers[i % len(makers)](rng) for i in range(count)]
    return [s2t.convert(d) if i % 2 else d for i, d in enumerate(docs)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    docs = generate(max(args.docs, 1), args.seed)
    understand(docs[0])  # load rules and converters outside the timing
    start = time.process_time()  # CPU time of this one process: other load on the machine does not count
    items = sum(len(understand(doc).items) for doc in docs)
    elapsed = time.process_time() - start
    chars = sum(map(len, docs)) / len(docs)  # the Ministry's monthly reports run to 4,000-12,000
    print(f"{len(docs)} documents, {items} items, {chars:.0f} characters per document, {elapsed:.2f} s of CPU")
    print(f"{len(docs) / elapsed:.0f} documents/s, {items / elapsed:.0f} items/s")


if __name__ == "__main__":
    main()
