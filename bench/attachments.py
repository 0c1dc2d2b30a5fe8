"""Attachment text extraction: CPU seconds to read a PDF of about 2 MB (the issue's target: under 1 s).

    .venv/bin/python bench/attachments.py [--mb 2] [--runs 3]

The PDF is built by the test fixtures (a CJK text layer, 40 lines a page), so the figure is for
PDFium's text extraction itself (pypdfium2); an XLSX list of the same size is timed alongside.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from monitor.filetext import read_file
from support.files import pdf_bytes, xlsx_bytes


def cpu(data: bytes, name: str) -> tuple[float, int]:
    started = time.process_time()
    read = read_file(data, name)
    assert read.error is None, read.error
    return time.process_time() - started, len(read.text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    line = "河东省第一中学 智慧校园试点 二〇二五年度 建设任务与经费安排说明"
    lines = [f"{n:06d} {line}" for n in range(int(args.mb * 1024 * 1024 / (4 * len(line) + 20)))]
    for name, data in (("list.pdf", pdf_bytes(lines)), ("list.xlsx", xlsx_bytes([(n, line) for n in range(len(lines))]))):
        times = [cpu(data, name) for _ in range(args.runs)]
        print(f"{name}: {len(data) / 1048576:.2f} MB, {times[0][1]} chars, CPU s per read: "
              + ", ".join(f"{t:.2f}" for t, _ in times))


if __name__ == "__main__":
    main()
