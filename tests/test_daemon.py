"""`edu-monitor run` as a real process: schedules, alerts, health, reload, shutdown, crash safety."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from support.sites import Notice, Site, base_url, serve
from support.smtp import Mailbox, mailto, parts, smtp_server

pytestmark = pytest.mark.slow
EDU_MONITOR = [sys.executable, "-m", "monitor"]

FIRST = Notice("5001", "关于开展教育App专项治理的通知", "省教育厅部署教育App备案和专项治理工作，请各地排查未备案App。", 1)
SECOND = Notice("5002", "关于做好校外线上培训App备案的通知", "各地要督促校外线上培训机构完成教育App备案。", 0)
OTHER = Notice("6001", "关于开展网络安全攻防演习的通知", "省教育厅定于下月组织教育系统网络安全攻防演习。", 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError:
        return 0, ""


class World:
    """Fixture sites, an SMTP server, a config and a daemon process."""

    def __init__(self, tmp: Path, database_url: str, box: Mailbox, server) -> None:
        self.tmp, self.box, self.server = tmp, box, server
        self.base = base_url(server)
        self.health = free_port()
        self.sites = {"a": Site("a", "甲省教育厅", [FIRST]), "b": Site("b", "乙省教育厅", [OTHER])}
        for site in self.sites.values():
            site.write(tmp / "www")
        self.write_catalog(["a"])
        config = {
            "database_url": database_url, "timezone": "UTC",
            "sources": {"builtin": False, "files": ["sources.yml"]},
            "channels": {"ops": [mailto(box, "ops@test.local")], "digest": [mailto(box, "digest@test.local")]},
            "routes": [{"name": "apps-now", "labels": ["app_governance"], "notify": ["ops"], "mode": "instant"},
                       {"name": "daily", "notify": ["digest"], "mode": "digest", "schedule": "* * * * *"}],
            "http": {"min_delay": 0, "retries": 0, "read_timeout": 3, "connect_timeout": 2},
            "delivery": {"every": "1s", "operator_tag": "ops"},
            "health": {"port": self.health},
            "web": {"port": free_port()},
            "shutdown_grace": "5s",
        }
        (tmp / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        self.proc: subprocess.Popen | None = None

    def set_delivery(self, **settings: str) -> None:
        """Change the config's delivery settings; the next start reads them."""
        path = self.tmp / "config.yml"
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        config["delivery"].update(settings)
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")

    def write_catalog(self, names: list[str], extra: list[dict] | None = None) -> None:
        entries = [self.sites[n].catalog_entry(self.base, f"site-{n}", "甘肃", every="2s") for n in names]
        (self.tmp / "sources.yml").write_text(yaml.safe_dump(entries + (extra or []), allow_unicode=True),
                                              encoding="utf-8")

    def start(self) -> subprocess.Popen:
        env = {**os.environ, "EDU_MONITOR_CONFIG": str(self.tmp / "config.yml")}
        self.log = open(self.tmp / "daemon.log", "ab")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen([*EDU_MONITOR, "run"], cwd=self.tmp, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_for(lambda: http_get(f"http://127.0.0.1:{self.health}/healthz")[0] in (200, 503), what="health endpoint")
        return self.proc

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=10)
        finally:
            self.log.close()

    def hits(self, prefix: str) -> int:
        return sum(1 for h in list(self.server.hits) if h.startswith(prefix))

    def log_text(self) -> str:
        return (self.tmp / "daemon.log").read_text(encoding="utf-8", errors="replace")


@contextmanager
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    with serve(tmp_path / "www", hang_seconds=20) as server, smtp_server() as box:
        w = World(tmp_path, database_url, box, server)
        try:
            yield w
        finally:
            if w.proc is not None and w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait()


def test_new_article_alerts_digest_health_metrics_reload_and_clean_shutdown(tmp_path: Path, database_url: str) -> None:
    with world(tmp_path, database_url) as w:
        w.start()
        wait_for(lambda: w.box.to("ops@test.local"), what="first instant alert")
        w.sites["a"].notices.append(SECOND)
        w.sites["a"].write(tmp_path / "www")
        wait_for(lambda: len(w.box.to("ops@test.local")) >= 2, what="alert for the new article")
        assert "校外线上培训" in " ".join(parts(w.box.to("ops@test.local")[-1]).values())
        digest = wait_for(lambda: w.box.to("digest@test.local"), timeout=70, what="the per-minute digest")
        assert "专项治理" in " ".join(parts(digest[0]).values())
        digests = lambda: " ".join(" ".join(parts(m).values()) for m in w.box.to("digest@test.local"))  # noqa: E731
        wait_for(lambda: "校外线上培训" in digests(), timeout=70, what="the new article in a digest")

        status, body = http_get(f"http://127.0.0.1:{w.health}/healthz")
        assert status == 200 and json.loads(body)["database"] == "ok"
        status, metrics = http_get(f"http://127.0.0.1:{w.health}/metrics")
        assert status == 200 and 'edu_monitor_polls_total{source="site-a"}' in metrics
        assert 'edu_monitor_items{label="app_governance"}' in metrics

        w.write_catalog(["a", "b"])
        w.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: w.hits("/b/") > 0, what="the source added by SIGHUP being polled")

        started = time.monotonic()
        assert w.stop() == 0 and time.monotonic() - started < 10
    assert len(w.box.to("ops@test.local")) == 2  # nothing was sent twice


def test_a_hanging_source_does_not_delay_the_others(tmp_path: Path, database_url: str) -> None:
    with world(tmp_path, database_url) as w:
        hanging = {"id": "site-hang", "name": "挂起的站点", "region": "全国", "url": f"{w.base}/hang/", "every": "2s",
                   "robots": False, "list": {"item": "li"}}
        w.write_catalog(["a"], extra=[hanging])
        w.start()
        wait_for(lambda: w.hits("/hang/") > 0, what="the hanging source being asked")
        before = w.hits("/a/")
        wait_for(lambda: w.hits("/a/") >= before + 3, timeout=15, what="site-a polled on schedule meanwhile")
        assert w.stop() == 0


def test_kill_9_mid_run_loses_nothing_and_repeats_no_alert(tmp_path: Path, database_url: str) -> None:
    with world(tmp_path, database_url) as w:
        w.sites["a"].notices += [Notice(f"70{n:02d}", f"关于第{n}批教育App备案情况的通报",
                                        f"第{n}批教育App备案审核已完成，共有{n + 10}个App通过备案。", 1)
                                 for n in range(12)]
        w.sites["a"].write(tmp_path / "www")
        w.server.delay = 0.3  # a slow site, so the kill lands in the middle of the poll
        # The kill is meant for the poll: the first delivery pass waits 5 s, and should it run
        # anyway, rows it claimed come back after 3 s rather than 10 minutes (kills during delivery
        # are tests/faults/test_fault_kill.py's subject).
        w.set_delivery(every="1h", claim_timeout="3s")
        w.start()
        wait_for(lambda: w.hits("/a/20") >= 3, what="the poll to be under way")
        w.proc.kill()  # SIGKILL in the middle of a poll
        w.proc.wait()
        w.log.close()
        w.set_delivery(every="1s", claim_timeout="3s")
        w.start()
        wait_for(lambda: len(w.box.to("ops@test.local")) >= 13, timeout=40, what="every alert")
        time.sleep(3)  # a few more delivery cycles: nothing may be sent again
        assert w.stop() == 0
    subjects = [str(m["Subject"]) for m in w.box.to("ops@test.local")]
    assert len(subjects) == 13 and len(set(subjects)) == 13
