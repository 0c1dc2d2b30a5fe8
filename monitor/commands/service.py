"""Long-running commands: run (single machine)."""

from __future__ import annotations

import sys

from monitor.cli import AppContext, cli, pass_app


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
