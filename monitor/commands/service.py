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
