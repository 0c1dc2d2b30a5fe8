"""The command line: every command has --help, init creates a usable database, errors are clear."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli

COMMANDS = [
    ["init"], ["run"], ["poll"], ["parse"], ["items"], ["sources"], ["sources", "list"], ["sources", "check"],
    ["digest"], ["deliver"], ["web"], ["db"], ["db", "upgrade"], ["db", "backup"], ["alerts"], ["alerts", "test"],
]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDU_MONITOR_CONFIG", raising=False)
    return CliRunner()


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_every_command_has_help(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_init_writes_a_private_config_and_a_migrated_database(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    config = tmp_path / "edu-monitor.yml"
    assert config.exists() and (config.stat().st_mode & 0o077) == 0
    tables = {r[0] for r in sqlite3.connect(tmp_path / "edu-monitor.db").execute(
        "select name from sqlite_master where type='table'")}
    assert {"document", "item", "alert", "sourcestate", "alembic_version"} <= tables
    # the written example is itself a valid config
    again = runner.invoke(cli, ["--config", str(config), "db", "upgrade"])
    assert again.exit_code == 0, again.output


def test_bad_config_is_reported_with_file_and_key(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("databse_url: x\n", encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(bad), "items"])
    assert result.exit_code == 1
    assert "databse_url" in result.output and str(bad) in result.output


def test_unreachable_database_is_a_clear_error_without_secrets(runner: CliRunner,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDU_MONITOR_DATABASE_URL", "postgresql+psycopg://bob:hunter2@127.0.0.1:1/nodb")
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "database migration failed" in result.output and "hunter2" not in result.output


def test_python_dash_m_and_console_script_work(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "EDU_MONITOR_CONFIG"}
    out = subprocess.run([sys.executable, "-m", "monitor", "--version"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, check=True)
    assert "edu-monitor" in out.stdout
    script = Path(sys.executable).with_name("edu-monitor")
    if script.exists():
        out = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert out.returncode == 0 and "poll" in out.stdout


def test_db_backup_makes_a_consistent_copy_and_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, ["db", "backup", "copy.db"])
    assert result.exit_code == 0, result.output
    tables = {r[0] for r in sqlite3.connect(tmp_path / "copy.db").execute(
        "select name from sqlite_master where type='table'")}
    assert {"document", "item", "alert"} <= tables
    again = runner.invoke(cli, ["db", "backup", "copy.db"])
    assert again.exit_code == 1 and "exists" in again.output
