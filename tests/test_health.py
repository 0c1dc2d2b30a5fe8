"""/healthz answers 503, with the reason, when the database, the scheduler or the polls are not well."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from monitor.db import make_engine, session_scope
from monitor.healthserver import health_report, start_health_server
from monitor.metrics import Metrics
from monitor.models import SourceState, utcnow


def get(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def engine(database_url: str):
    return make_engine(database_url)


def test_healthz_is_200_with_a_recent_poll_and_503_for_each_kind_of_trouble(engine, tmp_path) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        session.add(SourceState(source_id="s", last_success_at=now - timedelta(hours=2)))
    state = {"running": True, "max_age": timedelta(days=1), "engine": engine}
    check = lambda: health_report(state["engine"], state["running"], now - timedelta(days=3),  # noqa: E731
                                  state["max_age"])
    server = start_health_server("127.0.0.1", 0, check, Metrics(engine))
    port = server.server_address[1]
    try:
        assert get(port)[0] == 200
        state["max_age"] = timedelta(hours=1)  # the last good poll is two hours old
        code, report = get(port)
        assert code == 503 and report["last_successful_poll_age_seconds"] >= 7200
        state["max_age"], state["running"] = timedelta(days=1), False
        code, report = get(port)
        assert code == 503 and report["scheduler_running"] is False and report["status"] == "unhealthy"
        state["running"], state["engine"] = True, make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
        code, report = get(port)
        assert code == 503 and report["database"].startswith("unreachable")
    finally:
        server.shutdown()
