"""Long-running commands: run (single machine) and worker (several machines on PostgreSQL)."""

from __future__ import annotations

import sys

import click

from monitor.cli import AppContext, cli, fail, pass_app


def runtime_loader(app: AppContext):
    """Re-reads the same config file each time it is called (SIGHUP)."""
    from monitor.daemon import Runtime
    from monitor.settings import load_settings

    def load() -> Runtime:
        fresh = AppContext(load_settings(app.settings.config_path), _engine=app.engine)
        sources = fresh.catalog()
        return Runtime(settings=fresh.settings, sources=sources, routes=fresh.routes(), channels=fresh.channels(),
                       delivery=fresh.delivery_config(), source_names={s.id: s.name for s in sources})
    return load


@cli.command()
@pass_app
def run(app: AppContext) -> None:
    """The daemon: scheduler, delivery loop, digests, health endpoint."""
    from monitor.commands.admin import upgrade_database
    from monitor.daemon import Daemon

    upgrade_database(app)  # a fresh install starts on its defaults with no separate step
    sys.exit(Daemon(runtime_loader(app), app.engine).run())


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: web.port, 8765).")
@pass_app
def web(app: AppContext, host: str | None, port: int | None) -> None:
    """The read-only web view, Atom feeds and JSON API, until Ctrl-C (`run` serves it too)."""
    from monitor.commands.admin import upgrade_database
    from monitor.settings import check_exposure
    from monitor.web.app import build_app
    from monitor.web.server import serve

    config = app.settings.web
    host, port = host or config.host, config.port if port is None else port
    try:
        check_exposure(host, config.auth)
    except ValueError as exc:
        fail(str(exc))
    upgrade_database(app)
    catalog, routes = app.catalog(), app.routes()
    click.echo(f"edu-monitor web view on http://{host}:{port}/", err=True)
    try:
        serve(build_app(app.settings, lambda: catalog, lambda: routes), host, port)
    except OSError as exc:
        fail(f"{exc} (is the port taken? choose another with --port or web.port)")


@cli.command()
@click.option("--concurrency", type=int, default=None, help="Jobs at once in this worker (default: workers setting).")
@pass_app
def worker(app: AppContext, concurrency: int | None) -> None:
    """A scale-out worker: polls, deliveries and digests handed out through PostgreSQL (procrastinate)."""
    from monitor.commands.admin import upgrade_database
    from monitor.worker import Worker

    upgrade_database(app)
    try:
        runner = Worker(app.settings.database_url, runtime_loader(app), app.engine)
    except ValueError as exc:
        fail(str(exc))
    runner.run(concurrency or app.settings.workers)
