"""CLI sub-commands, one module per area; importing this package registers them on `cli`."""

from monitor.commands import admin, alerts, data, service, sources  # noqa: F401
