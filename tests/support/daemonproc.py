"""`edu-monitor run` as a child process for fault tests: its config written to disk, its JSON log
lines (stderr) parsed into events, its health endpoint polled, and unexpected exits counted."""

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
from typing import Any

import yaml

from support.serving import free_port

EDU_MONITOR = [sys.executable, "-m", "monitor"]



@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nothing else can take it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition", step: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def http_get(url: str, timeout: float = 3.0) -> tuple[int, str]:
    """(status, body); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""


def http_status(url: str, timeout: float = 3.0) -> int:
    return http_get(url, timeout)[0]


class DaemonProcess:
    """One working directory, one config, one `edu-monitor run` at a time (restartable).

    `exits` counts the times the process was found dead without the test having stopped or killed
    it: a crash, whatever its exit code.
    """

    def __init__(self, workdir: Path, config: dict[str, Any]) -> None:
        self.workdir = workdir
        self.health_port = free_port()
        config = {**config, "health": {**config.get("health", {}), "port": self.health_port}}
        config.setdefault("log", {"level": "INFO", "json_lines": True})
        config.setdefault("web", {"port": free_port()})  # never the fixed default port another test may hold
        self.config_path = workdir / "config.yml"
        self.config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        self.config_path.chmod(0o600)
        self.stderr_path = workdir / "daemon.stderr"
        self.stdout_path = workdir / "daemon.stdout"
        self.proc: subprocess.Popen[bytes] | None = None
        self.exits = 0
        self.starts = 0
        self._files: list[Any] = []

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        env = {**os.environ, "EDU_MONITOR_CONFIG": str(self.config_path), "PYTHONUNBUFFERED": "1"}
        out, err = open(self.stdout_path, "ab"), open(self.stderr_path, "ab")  # noqa: SIM115 (closed in _reap)
        self._files = [out, err]
        self.proc = subprocess.Popen([*EDU_MONITOR, "run"], cwd=self.workdir, env=env, stdout=out, stderr=err)
        self.starts += 1
        wait_for(lambda: not self.alive() or http_status(self.health_url) in (200, 503), timeout,
                 what="the daemon's health endpoint")
        self.assert_alive()

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.health_port}/healthz"

    def health(self) -> tuple[int, dict[str, Any]]:
        """The /healthz status and report ({} when it did not answer with JSON)."""
        status, body = http_get(self.health_url)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {}

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self) -> None:
        """Fail (and count a crash) when the daemon has exited on its own."""
        if self.proc is not None and self.proc.poll() is not None:
            code = self.proc.returncode
            self._reap()
            self.exits += 1
            raise AssertionError(f"the daemon exited by itself (code {code}); stderr tail:\n{self.tail()}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.assert_alive()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reap()

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait; returns the exit code (the daemon's contract: 0)."""
        assert self.proc is not None
        self.assert_alive()
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._reap()

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._reap()

    def _reap(self) -> None:
        for handle in self._files:
            handle.close()
        self._files = []
        self.proc = None

    # -- what it said -------------------------------------------------------------------------------
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace") if self.stderr_path.exists() else ""

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.stderr().splitlines()[-lines:])

    def events(self, event: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        """Parsed JSON log lines, optionally only those with this event name and field values.
        A field value given as a callable is a predicate on the field."""
        found = []
        for line in self.stderr().splitlines():
            if not line.startswith("{"):
                continue  # a library's plain logging line
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if event is not None and record.get("event") != event:
                continue
            if all(_matches(record.get(k), v) for k, v in fields.items()):
                found.append(record)
        return found

    def plain_lines(self, needle: str) -> list[str]:
        """Non-JSON stderr lines (stdlib logging of apscheduler, apprise …) containing `needle`."""
        return [line for line in self.stderr().splitlines() if not line.startswith("{") and needle in line]


def _matches(value: Any, wanted: Any) -> bool:
    if callable(wanted):
        return bool(wanted(value))
    return value == wanted


def contains(text: str) -> Callable[[Any], bool]:
    """A field predicate for `events`: the field's text contains `text`."""
    return lambda value: value is not None and text in str(value)
