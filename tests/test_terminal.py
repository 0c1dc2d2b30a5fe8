"""On a terminal `poll` draws a progress bar and `run` starts with a short summary; off a terminal both
keep their plain output. The command line runs as a real process, under a pseudo-terminal (pty) or with
pipes, against fixture sites on 127.0.0.1."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import yaml

from support.serving import free_port
from support.sites import Notice, Site, base_url, serve

EDU_MONITOR = [sys.executable, "-m", "monitor"]
BODY = "各市教育局：\n请做好教育系统网络安全工作，第{n}号。"


def notices(prefix: str, ages: range) -> list[Notice]:
    return [Notice(f"{prefix}{a:03d}", f"关于开展第{a}批教育App备案工作的通知", BODY.format(n=f"{prefix}-{a}"), age_days=a)
            for a in ages]


@pytest.fixture
def config(tmp_path: Path, database_url: str):
    """Two columns, the first with a second list page (index_1.html, for --pages 2); a config over them."""
    www = tmp_path / "www"
    with serve(www) as server:
        Site("a", "甲省教育厅", notices("9", range(10, 14))).write(www)
        (www / "a" / "index.html").rename(www / "a" / "index_1.html")
        Site("a", "甲省教育厅", notices("1", range(0, 4))).write(www)
        Site("b", "乙省教育厅", []).write(www)
        (www / "b" / "index.html").rename(www / "b" / "index_1.html")  # an empty second page
        Site("b", "乙省教育厅", notices("2", range(0, 3))).write(www)
        entries = [Site(n, "", []).catalog_entry(base_url(server), f"site-{n}", "甘肃") for n in "ab"]
        (tmp_path / "sources.yml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        settings = {"database_url": database_url, "timezone": "UTC", "health": {"port": free_port()},
                    "web": {"port": free_port()},
                    "sources": {"builtin": False, "files": ["sources.yml"]},
                    "http": {"min_delay": 0, "retries": 0, "read_timeout": 3}}
        (tmp_path / "config.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
        yield tmp_path / "config.yml", settings


def env(config: Path) -> dict[str, str]:
    return {**os.environ, "EDU_MONITOR_CONFIG": str(config), "TERM": "xterm"}


def on_terminal(args: list[str], config: Path, until: str | None = None, timeout: float = 60) -> str:
    """Run the command with a pty as its stdin, stdout and stderr; all it wrote (SIGTERM once `until`
    has appeared, for a command that runs until stopped)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 150, 0, 0))  # a terminal's size
    proc = subprocess.Popen([*EDU_MONITOR, *args], stdin=slave, stdout=slave, stderr=slave, env=env(config),
                            cwd=config.parent, close_fds=True)
    os.close(slave)
    out, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if until and until in out.decode(errors="replace") and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                until = None
            if select.select([master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == 0, out.decode(errors="replace")
    return out.decode(errors="replace")


def test_poll_on_a_terminal_draws_a_bar_with_sources_articles_and_failures(config) -> None:
    path, _settings = config
    assert subprocess.run([*EDU_MONITOR, "db", "upgrade"], env=env(path), capture_output=True).returncode == 0
    screen = on_terminal(["poll", "--pages", "2"], path)
    assert "poll 2/2 sources |" in screen and "11 new article(s), 0 failed" in screen
    assert "poll 0/2 sources |" in screen, "the bar is drawn from the start, then redrawn as it moves"
    assert '"event"' not in screen and "document.stored" not in screen, "info lines give way to the bar"
    table = [line for line in screen.splitlines() if line.startswith("site-")]
    assert [line.split()[:2] for line in table] == [["site-a", "ok"], ["site-b", "ok"]]
    assert "new_documents=8" in table[0] and "new_documents=3" in table[1]


def test_poll_off_a_terminal_keeps_plain_lines_and_the_table(config) -> None:
    path, _settings = config
    assert subprocess.run([*EDU_MONITOR, "db", "upgrade"], env=env(path), capture_output=True).returncode == 0
    done = subprocess.run([*EDU_MONITOR, "poll"], env=env(path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [line.split()[:2] for line in done.stdout.splitlines()] == [["site-a", "ok"], ["site-b", "ok"]]
    events = [json.loads(line)["event"] for line in done.stderr.splitlines()]
    assert events.count("poll.done") == 2 and events.count("document.stored") == 7
    assert "sources |" not in done.stderr and "\r" not in done.stderr


@pytest.mark.slow
def test_run_on_a_terminal_starts_with_a_summary(config) -> None:
    path, settings = config
    screen = on_terminal(["run"], path, until="reload the config with SIGHUP")
    assert "edu-monitor run: 2 source(s) scheduled, every 1h; first polls within" in screen
    assert f"health   http://127.0.0.1:{settings['health']['port']}/healthz" in screen
    assert f"web      http://127.0.0.1:{settings['web']['port']}/" in screen
    assert "job.scheduled" not in screen and screen.count("source(s) scheduled") == 1


@pytest.mark.slow
def test_run_off_a_terminal_logs_the_summary_as_one_event(config) -> None:
    path, settings = config
    proc = subprocess.Popen([*EDU_MONITOR, "run"], env=env(path), cwd=path.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        started = None
        for line in proc.stderr:
            event = json.loads(line)
            assert event["event"] != "job.scheduled"
            if event["event"] == "daemon.started":
                started = event
                break
    finally:
        proc.send_signal(signal.SIGTERM)  # at once: a signal as the scheduler starts stops it too
        try:
            _, rest = proc.communicate(timeout=20)
        finally:
            proc.kill()
    assert proc.returncode == 0 and "job.scheduled" not in rest
    assert started is not None and started["sources"] == 2 and started["every"] == ["1h"]
    assert started["health"] == f"http://127.0.0.1:{settings['health']['port']}/healthz"
    assert started["web"] == f"http://127.0.0.1:{settings['web']['port']}/" and started["first_polls_within"]
