"""The `edu-monitor` command line: builds the settings once and hands them to each command."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from monitor import __version__
from monitor.settings import ConfigError, Settings, literal_secrets_readable_by_others, load_settings


@dataclass
class AppContext:
    """What every command receives: validated settings, and lazily an engine."""

    settings: Settings
    _engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from monitor.db import make_engine

            self._engine = make_engine(self.settings.database_url, threads=self.settings.workers)
        return self._engine

    def has_engine(self) -> bool:
        """Whether a command has built the engine (a warm one-shot poll may never need it)."""
        return self._engine is not None

    def catalog(self) -> list[Any]:
        from monitor.catalog import load_catalog

        files = [p if p.is_absolute() else self.settings.base_dir() / p for p in self.settings.sources.files]
        try:
            return load_catalog(self.settings.sources.builtin, files)
        except ConfigError as exc:
            fail(f"catalog error:\n{exc}")

    def source_names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.catalog()}

    def routes(self) -> list[Any]:
        from monitor.route import load_routes

        try:
            return load_routes(self.settings)
        except ConfigError as exc:
            fail(f"configuration error:\n{exc}")

    def channels(self) -> Any:
        from monitor.channels import Channels

        config = self.settings.apprise_config
        if config is not None and not config.is_absolute():
            config = self.settings.base_dir() / config
        return Channels(self.settings.channels, config)

    def delivery_config(self) -> Any:
        """Delivery settings with digest_dir resolved against the config file's folder, and the
        web view's address for links to item pages."""
        delivery = self.settings.delivery
        if not delivery.digest_dir.is_absolute():
            delivery = delivery.model_copy(update={"digest_dir": self.settings.base_dir() / delivery.digest_dir})
        return delivery.linking_items(self.settings.web.base_url)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"edu-monitor: {message}", err=True)
    sys.exit(code)


pass_app = click.make_pass_decorator(AppContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="YAML config file (default: $EDU_MONITOR_CONFIG, else ./edu-monitor.yml if present, else built-in defaults).")
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR.")
@click.version_option(__version__, prog_name="edu-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_level: str | None) -> None:
    """Watch education authorities' informatization and cybersecurity publications."""
    from monitor.log import configure_logging, get_logger

    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        fail(f"configuration error:\n{exc}")
    configure_logging(log_level or settings.log.level, settings.log.json_lines)
    path = settings.config_path
    exposed = literal_secrets_readable_by_others(path) if path and path.exists() else []
    if exposed:
        get_logger().warning("config.secrets_readable_by_others", path=str(settings.config_path), lines=exposed,
                             hint="move them into ${VAR} references (a root-only environment file) or chmod 600")
    ctx.obj = AppContext(settings)


_fast_exit: list[bool] = []  # set by a one-shot command that has closed what it opened


def exit_without_teardown() -> None:
    """Called by a one-shot command (poll) once its engine and files are closed: the process then
    ends without the interpreter's teardown of every module and object, which cost a warm poll of
    1,000 sources about 0.15 s of CPU, an eighth of its run. Only main() acts on it, so a command
    invoked in-process (tests, CliRunner) returns as usual."""
    _fast_exit.append(True)


def main() -> None:
    try:
        cli(prog_name="edu-monitor")
    except SystemExit as done:
        if not _fast_exit:
            raise
        import logging
        import os

        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, int | None):
            click.echo(done.code, err=True)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def print_json_line(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


# Sub-commands live in small modules; importing them registers them on `cli`.
from monitor import commands  # noqa: E402,F401
