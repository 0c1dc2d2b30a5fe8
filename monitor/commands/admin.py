"""Set-up commands: init and db upgrade."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from monitor.cli import AppContext, cli, fail, pass_app
from monitor.log import redact_text


def upgrade_database(app: AppContext) -> None:
    from monitor.migrate import upgrade

    try:
        upgrade(app.settings.database_url)
    except Exception as exc:  # a database that cannot be reached is an operator error, not a traceback
        fail(f"database migration failed: {redact_text(str(exc))}")


@cli.command()
@click.option("--path", "target", type=click.Path(dir_okay=False, path_type=Path), default=Path("edu-monitor.yml"),
              show_default=True, help="Where to write the example config.")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_app
def init(app: AppContext, target: Path, force: bool) -> None:
    """Write a commented example config and create/migrate the database."""
    if target.exists() and not force:
        click.echo(f"{target} exists; keeping it (use --force to overwrite)")
    else:
        example = resources.files("monitor").joinpath("config.example.yml").read_text(encoding="utf-8")
        target.write_text(example, encoding="utf-8")
        target.chmod(0o600)
        click.echo(f"wrote {target}")
    upgrade_database(app)
    click.echo(f"database ready: {redact_text(app.settings.database_url)}")


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: AppContext) -> None:
    """Run the migrations up to the newest schema."""
    upgrade_database(app)
    click.echo("database is at the newest schema")


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def db_backup(app: AppContext, target: Path) -> None:
    """Copy a SQLite database consistently while the service runs (PostgreSQL: use pg_dump)."""
    from monitor.backup import backup_sqlite

    try:
        pages = backup_sqlite(app.settings.database_url, target)
    except ValueError as exc:
        fail(str(exc))
    click.echo(f"backed up {pages} pages to {target}")
