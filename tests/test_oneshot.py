"""`edu-monitor poll` as a real process ends without the interpreter's teardown: everything it wrote
must be in the database and on its output by then (health rows, documents, every result line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from sqlmodel import select

from monitor.db import make_engine, session_scope
from monitor.models import Document, SourceState
from support.sites import Notice, Site, base_url, serve

EDU_MONITOR = [sys.executable, "-m", "monitor"]


def test_a_one_shot_poll_leaves_its_rows_and_lines_complete(tmp_path: Path, database_url: str) -> None:
    www = tmp_path / "www"
    with serve(www) as server:
        names = [f"s{n}" for n in range(6)]
        for n, name in enumerate(names):
            Site(name, f"{n}号教育厅", [Notice(f"{n}00{k}", f"关于开展第{k}批网络安全检查的通知", "各单位：\n请做好工作。",
                                               age_days=k) for k in range(2)]).write(www)
        entries = [Site(name, "", []).catalog_entry(base_url(server), f"site-{name}", "甘肃") for name in names]
        (tmp_path / "sources.yml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        config = {"database_url": database_url, "timezone": "UTC", "workers": 3,
                  "sources": {"builtin": False, "files": ["sources.yml"]},
                  "http": {"min_delay": 0, "retries": 0, "read_timeout": 3}}
        (tmp_path / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        env = {**os.environ, "EDU_MONITOR_CONFIG": str(tmp_path / "config.yml")}
        assert subprocess.run([*EDU_MONITOR, "db", "upgrade"], env=env, capture_output=True).returncode == 0
        runs = [subprocess.run([*EDU_MONITOR, "poll"], env=env, capture_output=True, text=True, timeout=60)
                for _ in range(2)]
    for done in runs:
        assert done.returncode == 0, done.stderr
        assert sorted(line.split()[0] for line in done.stdout.splitlines()) == [f"site-{n}" for n in names]
        assert [json.loads(line)["event"] for line in done.stderr.splitlines()].count("poll.done") == 6
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        states = session.exec(select(SourceState)).all()
        documents = session.exec(select(Document)).all()
    engine.dispose()
    assert sorted((s.source_id, s.polls, s.status) for s in states) == [(f"site-{n}", 2, "ok") for n in names]
    assert len(documents) == 12
