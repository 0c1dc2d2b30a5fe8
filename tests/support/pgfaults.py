"""Restarting the throwaway PostgreSQL of `support.postgres` under a running client: a fast restart,
or an outage (stopped for some seconds, then started again with the options it ran with).

Every pg_ctl call here passes `-l LOG`: a server started by pg_ctl without it inherits pg_ctl's
stdout, so a caller that captures pg_ctl's output would wait for the server to exit.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time

from support.postgres import PostgresServer


def pg_ctl(server: PostgresServer, *args: str) -> None:
    cmd = [str(server.bindir / "pg_ctl"), "-D", str(server.base / "data"), *args]
    if os.geteuid() == 0:  # the server refuses to run as root
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


def restart(server: PostgresServer) -> None:
    """`pg_ctl restart -m fast`: every connection is terminated, the server is back when this returns."""
    pg_ctl(server, "-l", str(server.base / "log"), "-m", "fast", "-w", "restart")


def _options(server: PostgresServer) -> str:
    """The command-line options the server last ran with (postmaster.opts), without -D."""
    words = shlex.split((server.base / "data" / "postmaster.opts").read_text())[1:]
    keep, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word == "-D":
            skip = True
        else:
            keep.append(word)
    return shlex.join(keep)


def stop(server: PostgresServer) -> str:
    """Stop the server (fast: every connection is cut); returns the options to start it again with."""
    options = _options(server)
    pg_ctl(server, "-m", "fast", "-w", "stop")
    return options


def start(server: PostgresServer, options: str) -> None:
    pg_ctl(server, "-l", str(server.base / "log"), "-o", options, "-w", "start")


def outage(server: PostgresServer, seconds: float) -> None:
    """Stop the server, keep it down `seconds`, start it again."""
    options = stop(server)
    time.sleep(seconds)
    start(server, options)
