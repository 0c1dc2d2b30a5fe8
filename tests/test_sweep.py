"""The one-shot poll's warm pass (monitor/sweep.py): on SQLite, unchanged lists of healthy sources are
recorded without the ORM, and everything else reaches the pipeline with the answer already received —
no list asked twice, no state recorded differently from the pipeline's."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlmodel import col, select

from monitor.cli import cli
from monitor.db import make_engine, session_scope
from monitor.fetch import Fetcher
from monitor.migrate import upgrade
from monitor.models import Alert, Document, SourceState
from monitor.settings import HttpConfig
from monitor.sqlitefile import sqlite_file
from monitor.sweep import sweep
from support.sites import Notice, Site, base_url, serve

NAMES = ["a", "b", "c"]


def _notice(n: int) -> Notice:
    return Notice(f"90{n}", f"关于开展第{n}批网络安全检查的通知", "各单位：\n请做好网络安全检查工作。", age_days=1)


def _world(tmp_path: Path, server: Any) -> Path:
    """Three healthy sources polled once (cold), on a SQLite file; returns the config's path."""
    for name in NAMES:
        Site(name, f"{name}省教育厅", [_notice(1)]).write(tmp_path / "www")
    entries = [Site(name, f"{name}省教育厅", []).catalog_entry(base_url(server), f"site-{name}", "甘肃") for name in NAMES]
    (tmp_path / "sources.yml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'edu.db'}"
    config = {"database_url": url, "timezone": "UTC", "workers": 3, "max_age": "3650d",
              "sources": {"builtin": False, "files": ["sources.yml"]},
              "http": {"min_delay": 0, "retries": 2, "backoff": 0.01, "read_timeout": 5}}
    (tmp_path / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    upgrade(url)
    assert _poll(tmp_path).exit_code == 0
    return tmp_path / "config.yml"


def _poll(tmp_path: Path) -> Any:
    return CliRunner().invoke(cli, ["--config", str(tmp_path / "config.yml"), "poll"], catch_exceptions=False)


def _states(tmp_path: Path) -> dict[str, SourceState]:
    engine = make_engine(f"sqlite:///{tmp_path / 'edu.db'}")
    with session_scope(engine) as session:
        states = {s.source_id: s for s in session.exec(select(SourceState)).all()}
    engine.dispose()
    return states


def _list_hits(server: Any, since: int) -> dict[str, int]:
    listed = [path for path in server.hits[since:] if path.count("/") == 2 and path.endswith("/")]
    return {name: listed.count(f"/{name}/") for name in NAMES}


def test_a_warm_one_shot_poll_records_unchanged_lists_like_the_pipeline_without_loading_the_orm(
        tmp_path: Path) -> None:
    with serve(tmp_path / "www") as server:
        _world(tmp_path, server)
        before, asked = datetime.now(UTC), len(server.hits)
        script = ("import json, sys\nfrom monitor.cli import cli\n"
                  f"cli(['--config', {str(tmp_path / 'config.yml')!r}, 'poll'], standalone_mode=False)\n"
                  "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
                  "('sqlalchemy', 'sqlmodel', 'alembic', 'tqdm'))))")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
        assert done.returncode == 0, done.stderr
        assert _list_hits(server, asked) == {name: 1 for name in NAMES}
    assert json.loads(done.stdout.splitlines()[-1]) == []  # nothing of the ORM was imported
    assert sum(line.endswith("not-modified") for line in done.stdout.splitlines()) == 3
    events = [json.loads(line) for line in done.stderr.splitlines()]
    assert sorted(e["source"] for e in events if e["event"] == "poll.done" and e["not_modified"]) == \
        [f"site-{n}" for n in NAMES]
    states = _states(tmp_path)
    for state in states.values():  # read back through the ORM: the same stored form as its own writes
        assert (state.polls, state.status, state.consecutive_failures, state.documents) == (2, "ok", 0, 1)
        assert state.last_poll_at == state.last_success_at and state.last_poll_at >= before
    engine = make_engine(f"sqlite:///{tmp_path / 'edu.db'}")
    with session_scope(engine) as session:  # compared in SQL, as the progress bar compares them
        assert len(session.exec(select(SourceState).where(col(SourceState.last_poll_at) >= before)).all()) == 3
    engine.dispose()


def test_a_changed_or_failing_list_goes_to_the_pipeline_with_its_answer_not_asked_again(tmp_path: Path) -> None:
    with serve(tmp_path / "www") as server:
        _world(tmp_path, server)
        Site("b", "b省教育厅", [_notice(1), _notice(2)]).write(tmp_path / "www")  # a new notice on b
        (tmp_path / "www" / "c" / "index.html").unlink()  # c's list is gone: 404
        asked = len(server.hits)
        result = _poll(tmp_path)
        assert _list_hits(server, asked) == {name: 1 for name in NAMES}
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert lines["site-a"].endswith("not-modified")
    assert "new_documents=1" in lines["site-b"] and "ok" in lines["site-b"]
    assert "failed" in lines["site-c"] and "404" in lines["site-c"]
    states = _states(tmp_path)
    assert (states["site-b"].polls, states["site-b"].documents) == (2, 2)
    assert (states["site-c"].consecutive_failures, states["site-c"].polls) == (1, 2)
    assert "404" in (states["site-c"].last_error or "")


def test_a_source_that_was_not_healthy_is_polled_by_the_pipeline_and_its_recovery_told(tmp_path: Path) -> None:
    with serve(tmp_path / "www") as server:
        _world(tmp_path, server)
        _mark_failing(tmp_path, "site-a")
        asked = len(server.hits)
        assert _poll(tmp_path).exit_code == 0
        assert _list_hits(server, asked) == {name: 1 for name in NAMES}
    assert _states(tmp_path)["site-a"].status == "ok"
    assert _operator_titles(tmp_path) == ["数据源已恢复：a省教育厅 通知公告"]


def test_a_state_changed_while_the_pass_waited_is_left_to_record_poll(tmp_path: Path) -> None:
    """Another process marks a source failing after the pass read the healthy sources (here: as its
    list is asked): the guarded UPDATE leaves the row alone and record_poll tells the recovery, as
    in the pipeline. The list is asked once: by the pass, not again by the pipeline."""
    with serve(tmp_path / "www") as server:
        _world(tmp_path, server)
        _before_answering(server, "/b/", lambda: _mark_failing(tmp_path, "site-b"))
        asked = len(server.hits)
        result = _poll(tmp_path)
        assert _list_hits(server, asked) == {name: 1 for name in NAMES}
    assert result.exit_code == 0
    state = _states(tmp_path)["site-b"]
    assert (state.status, state.consecutive_failures, state.polls) == ("ok", 0, 2)  # counted once, by record_poll
    assert _operator_titles(tmp_path) == ["数据源已恢复：b省教育厅 通知公告"]


def test_sources_sharing_a_list_each_get_their_own_answer_and_a_source_named_twice_is_polled_once(
        tmp_path: Path) -> None:
    with serve(tmp_path / "www") as server:
        _world(tmp_path, server)
        entries = yaml.safe_load((tmp_path / "sources.yml").read_text(encoding="utf-8"))
        twin = {**entries[1], "id": "site-b-twin", "name": "b省教育厅 通知公告（转载）"}
        (tmp_path / "sources.yml").write_text(yaml.safe_dump([*entries, twin], allow_unicode=True), encoding="utf-8")
        assert _poll(tmp_path).exit_code == 0  # the twin's first poll stores nothing new
        Site("b", "b省教育厅", [_notice(1), _notice(2)]).write(tmp_path / "www")
        asked = len(server.hits)
        result = _poll(tmp_path)
        assert _list_hits(server, asked)["b"] == 2  # once for each source, with its own settings
        named = CliRunner().invoke(cli, ["--config", str(tmp_path / "config.yml"), "poll", "site-a", "site-a"],
                                   catch_exceptions=False)
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "failed" not in lines["site-b"] and "failed" not in lines["site-b-twin"]
    assert sum("new_documents=1" in lines[s] for s in ("site-b", "site-b-twin")) == 1  # stored once
    assert [line.split()[0] for line in named.output.splitlines() if line.startswith("site-")] == ["site-a"]
    assert named.output.count('"poll.done"') == 1


def test_the_pass_stands_aside_where_it_cannot_run(tmp_path: Path) -> None:
    fetcher = Fetcher(HttpConfig(min_delay=0))
    try:
        missing = tmp_path / "none.db"
        assert sweep([], f"sqlite:///{missing}", fetcher, 2) is None
        assert not missing.exists()  # never creates a database
        sqlite3.connect(tmp_path / "empty.db").close()  # a file without the schema
        assert sweep([], f"sqlite:///{tmp_path / 'empty.db'}", fetcher, 2) is None
    finally:
        fetcher.close()


@pytest.mark.parametrize("url, file", [
    ("sqlite:///edu-monitor.db", "edu-monitor.db"), ("sqlite:////var/lib/x.db", "/var/lib/x.db"),
    ("sqlite://", None), ("sqlite:///:memory:", None), ("sqlite:///x.db?mode=ro", None),
    ("postgresql://u@h/db", None), ("sqlite+pysqlite:///x.db", None),
])
def test_only_a_plain_sqlite_file_is_swept(url: str, file: str | None) -> None:
    assert sqlite_file(url) == file


def _before_answering(server: Any, path: str, action: Any) -> None:
    """Run `action` whenever `path` is requested, before it is answered."""

    class Hooked(server.RequestHandlerClass):  # type: ignore[name-defined,misc]
        def do_GET(self) -> None:
            if self.path == path:
                action()
            super().do_GET()

    server.RequestHandlerClass = Hooked


def _mark_failing(tmp_path: Path, source_id: str) -> None:
    with sqlite3.connect(tmp_path / "edu.db", timeout=30) as db:
        db.execute("UPDATE sourcestate SET status = 'failing', alerted_status = 'failing', "
                   "consecutive_failures = 3, last_error = 'timed out' WHERE source_id = ?", (source_id,))


def _operator_titles(tmp_path: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{tmp_path / 'edu.db'}")
    with session_scope(engine) as session:
        titles = [a.title for a in session.exec(select(Alert).where(Alert.route == "source-health")).all()]
        assert session.exec(select(Document)).all()  # the cold poll stored the notices
    engine.dispose()
    return titles
