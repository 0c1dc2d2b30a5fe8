"""Serving the web view: `edu-monitor web` and `run` listen, credentials are demanded where
configured, and no address but loopback is served without them."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from monitor.cli import cli
from monitor.settings import ConfigError, WebAuth, WebConfig, load_settings
from support.daemonproc import wait_for
from support.serving import free_port
from support.webapp import fetch, web_app
from support.webdata import fill


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "monitor.example.com"])
def test_no_address_but_loopback_without_credentials(host: str) -> None:
    with pytest.raises(ValidationError, match="refusing to listen"):
        WebConfig(host=host)
    WebConfig(host=host, auth=WebAuth(token="t0ken"))  # with credentials it may
    for loopback in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        WebConfig(host=loopback)


def test_config_reads_credentials_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_TOKEN", "s3cr3t-token-value")
    monkeypatch.setenv("WEB_PASSWORD", "pa55-word-value")
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump({"web": {"host": "0.0.0.0", "base_url": "https://monitor.example.com/",
                                            "auth": {"token": "${WEB_TOKEN}", "user": "reader",
                                                     "password": "${WEB_PASSWORD}"}}}), encoding="utf-8")
    web = load_settings(path).web
    assert web.auth.token.get_secret_value() == "s3cr3t-token-value" and web.auth.user == "reader"
    assert "s3cr3t" not in repr(web) and "pa55" not in repr(web)
    path.write_text(yaml.safe_dump({"web": {"host": "0.0.0.0"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"refusing to listen on 0\.0\.0\.0"):
        load_settings(path)
    path.write_text(yaml.safe_dump({"web": {"auth": {"user": "reader"}}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="both user and password"):
        load_settings(path)


def test_web_command_refuses_a_public_address_without_credentials(tmp_path: Path, database_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "c.yml").write_text(yaml.safe_dump({"database_url": database_url}), encoding="utf-8")
    monkeypatch.setenv("EDU_MONITOR_CONFIG", str(tmp_path / "c.yml"))
    result = CliRunner().invoke(cli, ["web", "--host", "0.0.0.0", "--port", str(free_port())])
    assert result.exit_code == 1 and "refusing to listen on 0.0.0.0" in result.stderr


def test_token_and_basic_auth_are_checked(database_url: str) -> None:
    fill(database_url)
    auth = WebAuth(token="t0ken-value", user="reader", password="pa55")
    with web_app(database_url, config=WebConfig(auth=auth)) as base:
        for path in ("/", "/feed.atom", "/api/items", "/items/1"):
            refused = fetch(base + path)
            assert refused.status == 401 and "Basic" in refused.headers["WWW-Authenticate"]
        assert fetch(base + "/api/items", headers={"Authorization": "Bearer wrong"}).status == 401
        assert fetch(base + "/api/items", headers=basic("reader", "wrong")).status == 401
        assert fetch(base + "/api/items", headers={"Authorization": "Basic !!notbase64"}).status == 401
        assert fetch(base + "/api/items", headers={"Authorization": "Bearer t0ken-value"}).status == 200
        assert fetch(base + "/feed.atom", headers=basic("reader", "pa55")).status == 200


def _start(tmp_path: Path, config: dict, command: str, *args: str) -> subprocess.Popen:
    (tmp_path / "c.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "EDU_MONITOR_CONFIG": str(tmp_path / "c.yml")}
    log = open(tmp_path / f"{command}.log", "wb")  # noqa: SIM115  (the child holds it)
    return subprocess.Popen([sys.executable, "-m", "monitor", command, *args], cwd=tmp_path, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def test_the_web_command_serves_until_told_to_stop(tmp_path: Path, database_url: str) -> None:
    fill(database_url)
    port = free_port()
    proc = _start(tmp_path, {"database_url": database_url, "sources": {"builtin": False}}, "web", "--port", str(port))
    try:
        page = wait_for(lambda: fetch(f"http://127.0.0.1:{port}/?q=" + quote("等级保护")) if _listening(port) else None,
                        what="the web view")
        assert page.status == 200 and "網絡安全等級保護測評" in page.text
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_serves_the_web_view_when_enabled(tmp_path: Path, database_url: str) -> None:
    web, health = free_port(), free_port()
    config = {"database_url": database_url, "sources": {"builtin": False}, "health": {"port": health},
              "web": {"port": web}, "shutdown_grace": "2s"}
    proc = _start(tmp_path, config, "run")
    try:
        wait_for(lambda: _listening(web), what="the daemon's web view")
        assert fetch(f"http://127.0.0.1:{web}/sources").status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    config["web"] = {"port": web, "enabled": False}
    proc = _start(tmp_path, config, "run")
    try:
        wait_for(lambda: _listening(health), what="the daemon's health endpoint")
        assert not _listening(web)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
