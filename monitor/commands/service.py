"""Long-running commands: run (single machine) and worker (scale-out)."""

from __future__ import annotations

from monitor.cli import AppContext, cli, not_implemented, pass_app


@cli.command()
@pass_app
def run(app: AppContext) -> None:
    """The daemon: scheduler, delivery loop, digests, health endpoint."""
    not_implemented("run")
