"""Warm-cycle comparison with urlwatch: the same 1,000 list pages, both tools run as one-shot processes.

    python bench/compare_urlwatch.py                     # 1,000 sites, 10 workers each, 3 warm runs per tool
    python bench/compare_urlwatch.py --sites 200 --runs 5 --latency 50

urlwatch (pinned below) is installed from PyPI into its own virtual environment, bench/.venv-urlwatch
(created when missing). The sites come from bench/sites.py in a separate process. Both tools first see
every page once (urlwatch: its cache holds each page and its ETag; edu-monitor: a full `edu-monitor poll`
stores all 20 articles per list and the list's validators), then each runs its warm cycle: one conditional
GET per list page, answered 304. Wall time and CPU time (user + system of the child process, from
getrusage(RUSAGE_CHILDREN)) are measured per run; the medians are compared.

Concurrency: urlwatch 2.29 has no setting for it; its worker pool is the module constant
urlwatch.worker.MAX_WORKERS (10). A hooks file sets that constant to --workers, and edu-monitor gets
`workers: --workers`: both tools poll up to that many pages at once (edu-monitor's pool starts
with one thread and grows only while it waits on the network). edu-monitor runs with http.min_delay 0,
its other HTTP settings at their defaults, robots.txt off for these sources (urlwatch does not read robots.txt,
and a one-shot `edu-monitor poll` would otherwise fetch every site's robots.txt again), and its default
INFO logging (JSON lines to a file). urlwatch runs with its default configuration (its report goes to a log file).

Then the daemon mode: the same warm cycle run in this process (settings, catalog, engine and Fetcher
built once, one untimed cycle first, as a running daemon has done), its own line labelled as such.

The last line is: urlwatch/edu-monitor wall ratio W cpu ratio C (above 1: edu-monitor is faster), the
one-shot processes compared like for like.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import sites  # noqa: E402

URLWATCH = "urlwatch==2.29"
VENV = HERE / ".venv-urlwatch"


@dataclass
class Run:
    wall: float
    cpu: float
    max_rss_mb: float
    requests: int
    not_modified: int


def urlwatch_bin() -> Path:
    """bench/.venv-urlwatch/bin/urlwatch, installing it first when missing."""
    exe = VENV / "bin" / "urlwatch"
    if not exe.exists():
        print(f"installing {URLWATCH} into {VENV.relative_to(ROOT)} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", URLWATCH], check=True)
    return exe


def edu_monitor_bin() -> Path:
    exe = Path(sys.executable).parent / "edu-monitor"
    if not exe.exists():
        sys.exit(f"{exe} not found: install the project into this virtualenv (pip install -e .)")
    return exe


def timed(cmd: list[str], log: Path, server_url: str, env: dict[str, str]) -> Run:
    """Run one child to completion; its wall time, CPU (RUSAGE_CHILDREN delta), peak RSS and server counts."""
    before, counted = resource.getrusage(resource.RUSAGE_CHILDREN), sites.stats(server_url)
    start = time.perf_counter()
    with log.open("ab") as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)  # reaped here, so RUSAGE_CHILDREN now includes it
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    after, now = resource.getrusage(resource.RUSAGE_CHILDREN), sites.stats(server_url)
    if child.returncode != 0:
        sys.exit(f"{' '.join(cmd[:2])} … failed with exit code {child.returncode}; see {log}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, usage.ru_maxrss / 1024, now["requests"] - counted["requests"],
               now["not_modified"] - counted["not_modified"])


def write_urlwatch_files(folder: Path, urls: list[str], workers: int) -> list[str]:
    jobs = [{"name": f"bench-{site:04d}", "url": url} for site, url in enumerate(urls)]
    (folder / "urls.yaml").write_text(yaml.safe_dump_all(jobs), encoding="utf-8")
    (folder / "config.yaml").write_text(yaml.safe_dump({"report": {"stdout": {"enabled": True, "color": False}}}),
                                        encoding="utf-8")
    (folder / "hooks.py").write_text("import urlwatch.worker\n\n"
                                     f"urlwatch.worker.MAX_WORKERS = {workers}  # polls at once\n", encoding="utf-8")
    return [str(urlwatch_bin()), "--urls", str(folder / "urls.yaml"), "--config", str(folder / "config.yaml"),
            "--hooks", str(folder / "hooks.py"), "--cache", str(folder / "cache.db")]


def write_edu_monitor_files(folder: Path, urls: list[str], workers: int) -> list[str]:
    (folder / "sources.yml").write_text(yaml.safe_dump(sites.catalog_entries(urls, robots=False), allow_unicode=True),
                                        encoding="utf-8")
    config = {"database_url": f"sqlite:///{folder / 'edu-monitor.db'}", "workers": workers,
              "sources": {"builtin": False, "files": ["sources.yml"]}, "http": {"min_delay": 0},
              "log": {"level": "INFO", "json_lines": True}}
    path = folder / "edu-monitor.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    path.chmod(0o600)
    return [str(edu_monitor_bin()), "--config", str(path)]


def daemon_cycles(config: Path, folder: Path, runs: int) -> list[Run]:
    """The daemon's warm cycle in this process: settings, catalog and engine loaded once, one untimed
    cycle (it reads the validators), then `runs` timed cycles of poll_many with the shared Fetcher.
    CPU is this process's (all threads); the site server is a separate process."""
    from monitor.catalog import load_catalog
    from monitor.db import make_engine
    from monitor.fetch import Fetcher
    from monitor.log import configure_logging
    from monitor.pipeline import PollContext, poll_many
    from monitor.route import load_routes
    from monitor.settings import load_settings

    settings = load_settings(config)
    log = (folder / "daemon.log").open("w", encoding="utf-8")
    configure_logging(settings.log.level, json_lines=True, stream=log)
    engine = make_engine(settings.database_url, threads=settings.workers)
    fetcher = Fetcher(settings.http)
    ctx = PollContext(engine=engine, fetcher=fetcher, routes=load_routes(settings), settings=settings)
    sources = load_catalog(False, [folder / "sources.yml"])
    done = []
    try:
        poll_many(sources, ctx)
        for _ in range(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            results = poll_many(sources, ctx)
            done.append(Run(time.perf_counter() - wall, time.process_time() - cpu, 0.0, len(results),
                            sum(r.not_modified for r in results)))
    finally:
        fetcher.close()
        engine.dispose()
        log.close()
    return done


def report(runs: dict[str, list[Run]], daemon: list[Run], sites_count: int) -> None:
    """The warm medians of both tools, the daemon-mode line, and the one-shot ratio as the last line."""
    medians = {}
    for tool, done in runs.items():
        if any(r.not_modified != sites_count for r in done):
            print(f"WARNING: not every warm request of {tool} was answered 304: {[r.not_modified for r in done]}")
        wall, cpu = statistics.median(r.wall for r in done), statistics.median(r.cpu for r in done)
        medians[tool] = (wall, cpu)
        print(f"warm, {tool}: median {wall:.2f} s wall, {cpu:.2f} s CPU; peak RSS {max(r.max_rss_mb for r in done):.0f} MB; "
              f"{done[-1].requests:,} requests, {done[-1].not_modified:,} answered 304 "
              f"(runs: {', '.join(f'{r.wall:.2f}/{r.cpu:.2f}' for r in done)} s wall/CPU)")
    (uw_wall, uw_cpu), (em_wall, em_cpu) = medians["urlwatch"], medians["edu-monitor"]
    d_wall, d_cpu = statistics.median(r.wall for r in daemon), statistics.median(r.cpu for r in daemon)
    print(f"warm, edu-monitor daemon mode (in-process cycle after a first one; no process start): median "
          f"{d_wall:.2f} s wall, {d_cpu:.2f} s CPU, {d_cpu / sites_count * 1000:.2f} ms CPU per source "
          f"(runs: {', '.join(f'{r.wall:.2f}/{r.cpu:.2f}' for r in daemon)} s wall/CPU)")
    print(f"daemon mode, not like for like: urlwatch/edu-monitor wall ratio {uw_wall / d_wall:.2f} "
          f"cpu ratio {uw_cpu / d_cpu:.2f}")
    print(f"urlwatch/edu-monitor wall ratio {uw_wall / em_wall:.2f} cpu ratio {uw_cpu / em_cpu:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=10, help="polls at once, for both tools (urlwatch's is 10)")
    ap.add_argument("--runs", type=int, default=3, help="warm runs per tool (alternating); medians are compared")
    ap.add_argument("--latency", type=float, default=0.0, metavar="MS", help="server delay before every answer")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, caches, database)")
    args = ap.parse_args()
    urlwatch_bin()
    folder = Path(tempfile.mkdtemp(prefix="urlwatch-compare-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDU_MONITOR_")}
    env["HOME"] = str(folder)  # neither tool reads or writes the user's own files
    if args.keep:
        print(f"logs, caches and database stay in {folder}")
    try:
        uw_dir, em_dir = folder / "urlwatch", folder / "edu-monitor"
        uw_dir.mkdir()
        em_dir.mkdir()
        with sites.serve(args.sites, latency_ms=args.latency) as urls:
            urlwatch = write_urlwatch_files(uw_dir, urls, args.workers)
            edu = write_edu_monitor_files(em_dir, urls, args.workers)
            uw_log, em_log = uw_dir / "output.log", em_dir / "output.log"
            version = subprocess.run([urlwatch[0], "--version"], capture_output=True, text=True).stdout.strip()
            print(f"{args.sites:,} list pages, {os.cpu_count()} CPUs, edu-monitor {sites.revision()}, {args.workers} workers each "
                  f"(urlwatch.worker.MAX_WORKERS / edu-monitor workers), server latency {args.latency:g} ms; {version}")
            subprocess.run([*edu, "db", "upgrade"], check=True, env=env, capture_output=True)
            first = timed(urlwatch, uw_log, urls[0], env)
            print(f"first run, urlwatch: {first.wall:.1f} s wall, {first.cpu:.1f} s CPU ({first.requests:,} requests)")
            first = timed([*edu, "poll"], em_log, urls[0], env)
            print(f"first run, edu-monitor poll (every article fetched, parsed and stored): {first.wall:.1f} s wall, "
                  f"{first.cpu:.1f} s CPU ({first.requests:,} requests)")
            runs: dict[str, list[Run]] = {"urlwatch": [], "edu-monitor": []}
            for _ in range(args.runs):
                runs["urlwatch"].append(timed(urlwatch, uw_log, urls[0], env))
                runs["edu-monitor"].append(timed([*edu, "poll"], em_log, urls[0], env))
            daemon = daemon_cycles(Path(edu[-1]), em_dir, args.runs)
        report(runs, daemon, args.sites)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
