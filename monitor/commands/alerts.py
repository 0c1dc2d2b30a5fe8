"""Commands that send: digest, deliver, alerts test."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click

from monitor.cli import AppContext, cli, fail, pass_app
from monitor.commands.data import parse_since
from monitor.settings import RouteConfig


def _digest_routes(app: AppContext, route_name: str | None) -> list:
    routes = [r for r in app.routes() if r.mode == "digest"]
    if route_name:
        routes = [r for r in routes if r.name == route_name]
        if not routes:
            fail(f"no digest route named {route_name!r}")
    return routes


@cli.command()
@click.option("--send", is_flag=True, help="Send each digest route's pending items to its channels and mark them.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the digest HTML to this file.")
@click.option("--since", help="Items first seen since this date or duration (default: the pending ones); "
                               "with --send, an extra digest outside the ledger.")
@click.option("--route", "route_name", help="Only this digest route.")
@pass_app
def digest(app: AppContext, send: bool, out: Path | None, since: str | None, route_name: str | None) -> None:
    """Build the digest now: --send delivers it, --out writes it to a file, neither prints a summary."""
    from monitor import digest as digests
    from monitor.models import utcnow
    from monitor.render import digest_html

    if send and out:
        fail("--send and --out are two ways to deliver a digest: choose one")
    routes, names, now = _digest_routes(app, route_name), app.source_names(), utcnow()
    failed = False
    for route in routes:
        if send and since:
            failed = not _send_since(app, route, parse_since(since) or now, now) or failed
            continue
        if send:
            for o in digests.send_digest(app.engine, app.channels(), route, app.delivery_config(), names, now,
                                         echo=click.echo):
                click.echo(f"digest {o.route} -> {o.tag}: {o.items} item(s), {o.status} {o.where}".rstrip())
            continue
        start = parse_since(since) or digests.last_digest_at(app.engine, route.name) or now - timedelta(days=1)
        pages = app.settings.web.base_url
        found = (digests.preview_items(app.engine, route, start, names, pages) if since
                 else digests.pending_items(app.engine, route, names, pages))
        if out:
            target = out if len(routes) == 1 else out.with_name(f"{out.stem}-{route.name}{out.suffix}")
            upcoming = digests.upcoming_notes(app.engine, route, now, names, pages)
            target.write_text(digest_html(found, route.name, start, now, upcoming), encoding="utf-8")
            click.echo(f"digest {route.name}: {len(found)} item(s) written to {target}")
        else:
            click.echo(f"digest {route.name}: {len(found)} item(s) since {start:%Y-%m-%d %H:%M} UTC")
            for item in found:
                click.echo(f"  [{','.join(item.labels) or '-'}] {item.region or '-'} {item.title[:40]}  {item.document_url}")
    if failed:  # an extra digest is not in the ledger, so nothing would retry it
        fail("a channel refused the extra digest (see above); run the command again to retry")


def _send_since(app: AppContext, route: RouteConfig, start: datetime, now: datetime) -> bool:
    """An extra digest of what the route selected since `start` (a resend, a new colleague's catch-up),
    outside the ledger: nothing is marked, the scheduled digest still covers what is pending.
    False when a channel refused it."""
    from monitor import digest as digests

    names, pages = app.source_names(), app.settings.web.base_url
    items = digests.preview_items(app.engine, route, start, names, pages)
    upcoming = digests.upcoming_notes(app.engine, route, now, names, pages)
    if not items:
        click.echo(f"digest {route.name}: nothing since {start:%Y-%m-%d %H:%M} UTC, nothing sent")
        return True
    channels, ok = app.channels(), True
    for tag in route.notify:
        if not channels.has(tag):
            target = digests.write_digest_file(app.delivery_config().digest_dir, items, route.name, start, now, upcoming)
            click.echo(f"digest {route.name} -> {tag}: {len(items)} item(s) written to {target} (no channel)")
            continue
        report = channels.send_digest(tag, items, route.name, start, now, upcoming=upcoming)
        ok = ok and report.ok
        outcome = "sent" if report.ok else "failed: " + "; ".join(report.errors.values())
        click.echo(f"digest {route.name} -> {tag}: {len(items)} item(s) since {start:%Y-%m-%d %H:%M} UTC, {outcome}")
    return ok


@cli.command()
@pass_app
def deliver(app: AppContext) -> None:
    """Queue the deadline reminders due today, then deliver pending instant alerts, reminders and
    operator notices once."""
    from monitor.deliver import deliver_pending
    from monitor.reminders import write_reminders

    reminders = write_reminders(app.engine, app.routes())
    if reminders:
        click.echo(f"queued {reminders} deadline reminder(s)")
    stats = deliver_pending(app.engine, app.channels(), app.delivery_config(), app.source_names(), echo=click.echo)
    click.echo(f"claimed {stats.claimed} alert(s): {stats.sent} message(s) sent, "
               f"{stats.retried} to retry, {stats.failed} failed")


@cli.group("alerts")
def alerts_group() -> None:
    """Alert channels."""


@alerts_group.command("test")
@click.argument("tag")
@pass_app
def alerts_test(app: AppContext, tag: str) -> None:
    """Send a test message to the channels of TAG and print the result."""
    channels = app.channels()
    if not channels.has(tag):
        fail(f"no channel has the tag {tag!r} (configured tags: {', '.join(channels.tags()) or 'none'})")
    report = channels.send_operator(tag, "edu-monitor 测试消息", "A test message from edu-monitor: this channel works.")
    for url in channels.describe(tag):
        click.echo(f"  {url}")
    click.echo(f"delivered to {len(report.delivered)} channel(s), {len(report.errors)} error(s)")
    for url_id, error in report.errors.items():
        click.echo(f"  {url_id}: {error}")
    if not report.ok:
        raise SystemExit(1)
