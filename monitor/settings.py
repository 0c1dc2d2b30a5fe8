"""Configuration: one YAML file, overridden by EDU_MONITOR_* variables, validated once in main().

Secrets are written as ``${ENV_VAR}`` (expanded here) or ``*_file`` keys (read here), so the
file itself can be committed without tokens.
"""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from monitor.yamlload import safe_load

ENV_PREFIX = "EDU_MONITOR_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """A configuration problem, with the file and key that caused it."""


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """'90s', '30m', '6h', '7d' or a number of seconds → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 30m, 6h, 7d)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_duration(value: timedelta) -> str:
    """A duration the way the catalog writes it (1d, 12h, 90m, 45s): parse_duration reads it back."""
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def parse_moment(value: str, now: datetime, *, end_of_day: bool = False) -> datetime:
    """'2024-05-01' (that day's start in UTC, or with end_of_day its end) or a duration like '7d'
    (that long before now) → an aware UTC timestamp; ValueError for anything else."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        try:
            return now - parse_duration(value)
        except (ValueError, OverflowError):
            raise ValueError(f"{value!r} is neither a date (YYYY-MM-DD) nor a duration (e.g. 7d)") from None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(days=1) if end_of_day and day < date.max else start


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def url_lines(value: Any) -> Any:
    """A channel given as one string (e.g. `ops_file: /etc/edu-monitor/ops.urls`): one URL per line."""
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return value


ChannelUrls = Annotated[list[str], BeforeValidator(url_lines)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourcesConfig(_Strict):
    builtin: bool = True
    files: list[Path] = Field(default_factory=list)


def cron_expression(value: str) -> str:
    """A five-field crontab line, checked when the config is read rather than when jobs are built."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"not a crontab schedule ({exc})") from None
    return value


def time_zone(value: str | None) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
    return value


class RouteConfig(_Strict):
    """Which items go to which channel tags, and how."""

    name: str
    labels: list[str] = Field(default_factory=list)  # any of these
    labels_all: list[str] = Field(default_factory=list)  # every one of these
    regions: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    labelled_only: bool = False  # digest of "every labelled item"
    notify: list[str]
    mode: Literal["instant", "digest"] = "instant"
    schedule: Annotated[str, AfterValidator(cron_expression)] = "0 8 * * *"
    timezone: Annotated[str | None, AfterValidator(time_zone)] = None
    max_age: Duration | None = None  # None: the top-level max_age
    # deadline reminders: one message this many working days before each deadline (None: none)
    remind_before: int | None = Field(default=None, ge=0, le=60)
    upcoming_deadlines: int = Field(default=5, ge=0, le=60)  # a digest lists deadlines this many working days ahead


class HttpConfig(_Strict):
    user_agent: str = "edu-monitor/0.1 (+https://github.com/edu-monitor; polite government-site poller)"
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    max_backoff: float = 60.0
    min_delay: float = 2.0  # seconds between two requests to one host
    per_host: int = 1  # requests at once to one host
    max_bytes: int = 10 * 1024 * 1024
    robots: bool = True


class AttachmentsConfig(_Strict):
    """Reading an article's attachments (the download cap is http.max_bytes, as for pages)."""

    enabled: bool = True
    max_files: int = 10  # per article: one request each
    max_unpacked: int = 50 * 1024 * 1024  # bytes a DOCX/XLSX/OFD/ZIP may unpack to (zip bombs stop here)
    max_chars: int = 500_000  # text kept per attachment


class DeliveryConfig(_Strict):
    every: Duration = timedelta(seconds=30)
    max_attempts: int = 6
    backoff: Duration = timedelta(seconds=30)
    claim_timeout: Duration = timedelta(minutes=10)  # a 'sending' row older than this was abandoned
    operator_tag: str = "ops"
    failures_before_alert: int = 3  # consecutive failed polls before an operator alert
    digest_dir: Path = Path("digests")  # where digests go when their tag has no channel
    # web.base_url, handed over by the CLI (not a key of its own): messages link to /items/{id}
    _item_pages: str | None = PrivateAttr(default=None)

    @property
    def item_pages(self) -> str | None:
        return self._item_pages

    def linking_items(self, base_url: str | None) -> DeliveryConfig:
        """A copy whose messages link each item to its page under `base_url` (None: no links)."""
        copy = self.model_copy()
        copy._item_pages = base_url.rstrip("/") if base_url else None
        return copy


class HealthConfig(_Strict):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9464
    max_poll_age: Duration = timedelta(days=1)


class WebAuth(_Strict):
    """Who may read the web view: a bearer token and/or one basic-auth user (write both as ${VAR})."""

    token: SecretStr | None = None
    user: str | None = None
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _user_with_password(self) -> WebAuth:
        if bool(self.user) != bool(self.password and self.password.get_secret_value()):
            raise ValueError("basic auth needs both user and password")
        return self

    @property
    def configured(self) -> bool:
        return bool((self.token and self.token.get_secret_value()) or self.user)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_exposure(host: str, auth: WebAuth) -> None:
    """The web view shows everything stored: off this machine only behind credentials."""
    if not is_loopback(host) and not auth.configured:
        raise ValueError(f"web: refusing to listen on {host} without web.auth (a token or user/password): "
                         "only a loopback address may serve without credentials")


class WebConfig(_Strict):
    """The read-only web view, feeds and JSON API (`edu-monitor web`, and `run` when enabled)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    base_url: str | None = None  # e.g. https://monitor.example.com: alerts and digests link to its item pages
    auth: WebAuth = Field(default_factory=WebAuth)

    @model_validator(mode="after")
    def _exposed_only_with_auth(self) -> WebConfig:
        check_exposure(self.host, self.auth)
        if self.base_url and not re.match(r"^https?://[^/\s]+", self.base_url):
            raise ValueError(f"web.base_url: {self.base_url!r} is not an http(s) URL")
        return self


class RetentionConfig(_Strict):
    raw_days: int = 30  # raw HTML kept for re-parsing
    item_days: int = 0  # 0: keep items forever


class LogConfig(_Strict):
    level: str = "INFO"
    json_lines: bool | None = None  # None: JSON unless stderr is a terminal


class Settings(BaseSettings):
    """Everything the service can be told; every key is optional."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    database_url: str = "sqlite:///edu-monitor.db"
    timezone: Annotated[str, AfterValidator(time_zone)] = "Asia/Shanghai"
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    channels: dict[str, ChannelUrls] = Field(default_factory=dict)
    apprise_config: Path | None = None
    routes: list[RouteConfig] | None = None  # None: the defaults shipped in alerts/routes.yml
    max_age: Duration = timedelta(days=7)
    http: HttpConfig = Field(default_factory=HttpConfig)
    attachments: AttachmentsConfig = Field(default_factory=AttachmentsConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    log: LogConfig = Field(default_factory=LogConfig)
    workers: int = 8  # polls at once; I/O-bound threads, so a few hanging sites cannot starve the rest
    shutdown_grace: Duration = timedelta(seconds=8)  # in-flight work may finish this long after SIGTERM
    config_path: Path | None = Field(default=None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file: an operator overrides one key without editing YAML.
        return env_settings, init_settings

    def base_dir(self) -> Path:
        """Relative paths in the config are relative to the config file."""
        return self.config_path.parent if self.config_path else Path.cwd()


def expand_secrets(node: Any, where: str = "") -> Any:
    """Replace ${VAR} by the environment's value and `key_file: path` by `key: <file text>`."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if isinstance(key, str) and key.endswith("_file") and isinstance(value, str) and key != "apprise_file":
                out[key[: -len("_file")]] = Path(os.path.expanduser(value)).read_text(encoding="utf-8").strip()
            else:
                out[key] = expand_secrets(value, f"{where}.{key}" if where else str(key))
        return out
    if isinstance(node, list):
        return [expand_secrets(v, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str):
        return _ENV_REF.sub(lambda m: _env_value(m.group(1), where), node)
    return node


def _env_value(name: str, where: str) -> str:
    if name not in os.environ:
        raise ConfigError(f"{where}: environment variable {name} is not set")
    return os.environ[name]


def _format_errors(path: Path | None, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"{path or 'environment'}: {key}: {err['msg']}")
    return "\n".join(lines)


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse and expand one YAML config file; errors name the file."""
    try:
        raw = safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys")
    try:
        return expand_secrets(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read secret file: {exc}") from exc


def literal_secrets_readable_by_others(path: Path) -> list[int]:
    """Line numbers of secrets written into a config that other users can read.

    A deployed config is world-readable on purpose (the service's dynamic user reads it, and
    reload re-reads it), so its secrets belong in ${VAR} references filled from a root-only
    environment file; a line that still looks secret after skipping those is worth a warning.
    """
    from monitor.log import redact_text

    if not path.stat().st_mode & stat.S_IROTH:
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [n for n, line in enumerate(lines, 1)
            if not line.lstrip().startswith("#") and "${" not in line and redact_text(_no_user(line)) != _no_user(line)]


def _no_user(line: str) -> str:
    """A user name alone in a mail URL (mailto://alerts@host) is an address, not a secret; in other
    schemes that place holds a token (ntfys://TOKEN@host)."""
    return _MAIL_USER.sub(r"\1@", line)


_MAIL_USER = re.compile(r"(\bmailtos?://)[^/\s:@'\"]+@", re.IGNORECASE)


DEFAULT_CONFIG = Path("edu-monitor.yml")  # what `edu-monitor init` writes in the working directory


def load_settings(path: Path | str | None = None) -> Settings:
    """Build the settings from FILE (or $EDU_MONITOR_CONFIG, or ./edu-monitor.yml when it exists —
    the file `init` wrote, so editing it takes effect) and the environment."""
    if path is None and os.environ.get(CONFIG_ENV):
        path = os.environ[CONFIG_ENV]
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    config_path = Path(path).resolve() if path else None
    data = read_config_file(config_path) if config_path else {}
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(config_path, exc)) from None
    settings.config_path = config_path
    return settings
