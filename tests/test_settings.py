"""Settings: YAML file, environment overrides, validation errors that name the file and key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.settings import ConfigError, literal_secrets_readable_by_others, load_settings, parse_duration


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_work_without_any_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("EDU_MONITOR_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None)
    assert settings.database_url == "sqlite:///edu-monitor.db"
    assert settings.sources.builtin is True
    assert settings.channels == {}
    assert settings.timezone == "Asia/Shanghai"


def test_the_config_init_writes_in_the_working_directory_is_read(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.delenv("EDU_MONITOR_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "edu-monitor.yml").write_text("timezone: UTC\n", encoding="utf-8")
    settings = load_settings(None)
    assert settings.timezone == "UTC" and settings.config_path == tmp_path / "edu-monitor.yml"


def test_unknown_key_is_an_error_naming_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "database_url: sqlite:///x.db\nchanels: {}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and "chanels" in str(err.value)


def test_bad_nested_value_names_the_nested_key(tmp_path: Path) -> None:
    path = write(tmp_path, "http:\n  min_delay: soon\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert "http.min_delay" in str(err.value)


def test_unknown_route_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "routes:\n  - name: r\n    notify: [ops]\n    lables: [meeting]\n")
    with pytest.raises(ConfigError, match=r"routes\.0\.lables"):
        load_settings(path)


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "database_url: sqlite:///from-file.db\nhttp:\n  min_delay: 5\n")
    monkeypatch.setenv("EDU_MONITOR_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("EDU_MONITOR_HTTP__MIN_DELAY", "0.5")
    settings = load_settings(path)
    assert settings.database_url == "sqlite:///from-env.db"
    assert settings.http.min_delay == 0.5


def test_config_file_from_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "timezone: UTC\n")
    monkeypatch.setenv("EDU_MONITOR_CONFIG", str(path))
    assert load_settings(None).timezone == "UTC"


def test_secrets_come_from_environment_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hook.txt").write_text("file-secret\n", encoding="utf-8")
    monkeypatch.setenv("WECOM_KEY", "abc123")
    path = write(tmp_path, 'channels:\n  ops: ["wecombot://${WECOM_KEY}"]\n'
                           f"database_url_file: {tmp_path / 'hook.txt'}\n")
    settings = load_settings(path)
    assert settings.channels["ops"] == ["wecombot://abc123"]
    assert settings.database_url == "file-secret"


def test_a_channel_can_come_from_a_file_of_urls(tmp_path: Path) -> None:
    (tmp_path / "ops.urls").write_text("# the on-call bots\nwecombot://k1\n\ndingtalk://t2\n", encoding="utf-8")
    path = write(tmp_path, f"channels:\n  ops_file: {tmp_path / 'ops.urls'}\n  digest: [mailto://a@b.c]\n")
    settings = load_settings(path)
    assert settings.channels == {"ops": ["wecombot://k1", "dingtalk://t2"], "digest": ["mailto://a@b.c"]}


def test_only_literal_secrets_in_a_world_readable_config_are_flagged(tmp_path: Path) -> None:
    path = write(tmp_path, "# ops: [wecombot://commented-out-token]\n"
                           'channels:\n  ops: ["wecombot://${WECOM_KEY}"]\n'
                           '  digest: ["mailtos://bot:hunter2@smtp.example.com?to=t@example.com"]\n'
                           '  relay: ["mailto://alerts@relay.example.com"]\n'
                           '  phone: ["ntfys://tk_secret@ntfy.example.com/edu"]\n')
    path.chmod(0o644)
    assert literal_secrets_readable_by_others(path) == [4, 6]
    path.chmod(0o600)
    assert literal_secrets_readable_by_others(path) == []


def test_missing_environment_secret_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    path = write(tmp_path, 'channels:\n  ops: ["wecombot://${NOPE_NOT_SET}"]\n')
    with pytest.raises(ConfigError, match="NOPE_NOT_SET"):
        load_settings(path)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("6h", 21600), ("7d", 604800), (15, 15)])
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_bad_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")


@pytest.mark.parametrize(("route", "complaint"), [
    ('{name: daily, notify: [d], mode: digest, schedule: "0 25 * * *"}', "routes.0.schedule"),
    ('{name: daily, notify: [d], mode: digest, timezone: Mars/Olympus}', "routes.0.timezone"),
])
def test_a_bad_schedule_or_time_zone_is_a_config_error(tmp_path: Path, route: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_settings(write(tmp_path, f"routes:\n  - {route}\n"))
