"""Poll benchmark: a cold cycle (every article new) and a warm cycle (every list answers 304) through the
real pipeline, against simulated TRS sites (bench/sites.py) served by a separate process.

    python bench/poll.py                                  # warm over 1,000 sources, cold over 1,000 sources
    python bench/poll.py --sources 1000 --cold-sources 200 --workers 8 --latency 50
    python bench/poll.py --database-url postgresql        # a throwaway PostgreSQL server (Debian's binaries)
    python bench/poll.py --database-url postgresql://user@host/empty_db

Each source is one site on its own loopback address and port (per-host politeness applies site by site)
with 20 articles of 8-15 KB of text. `poll_many` runs with one shared `Fetcher`, as the daemon does,
with http.min_delay 0 (the service's default of 2 s between two requests to one host would make the
cold cycle wait ~40 s per source); per_host stays 1. Logs go, as JSON lines at INFO, to a file.
Figures: sources/s, articles/s, CPU seconds per source (this process, all threads; the site server's
CPU is not counted), and the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import sites  # noqa: E402

from monitor.catalog import Source, load_catalog  # noqa: E402
from monitor.db import make_engine  # noqa: E402
from monitor.fetch import Fetcher  # noqa: E402
from monitor.log import configure_logging  # noqa: E402
from monitor.migrate import upgrade  # noqa: E402
from monitor.pipeline import PollContext, PollResult, poll, poll_many  # noqa: E402
from monitor.route import load_routes  # noqa: E402
from monitor.settings import HttpConfig, Settings  # noqa: E402


def make_sources(urls: list[str], folder: Path, robots: bool = True) -> list[Source]:
    """The sites as a catalog file, loaded the way the service loads the user's catalog files."""
    path = folder / "bench-sites.yml"
    path.write_text(yaml.safe_dump(sites.catalog_entries(urls, robots), allow_unicode=True), encoding="utf-8")
    return load_catalog(builtin=False, files=[path])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


PROFILE_LINES = 40


@dataclass
class Cycle:
    sources: int
    articles: int
    wall: float
    cpu: float
    results: list[PollResult]


def cycle(name: str, sources: list[Source], ctx: PollContext, profile: str | None = None,
          cpu_clock: bool = False) -> Cycle:
    """One timed cycle; with `profile`, polled one by one in this thread under cProfile, and the
    functions with the most cumulative time printed, sorted the way `profile` names ('cumulative').
    `cpu_clock` times them by the thread's CPU time: on a loaded machine the wall clock mostly
    measures waiting for a core."""
    profiler = (cProfile.Profile(time.thread_time) if cpu_clock else cProfile.Profile()) if profile else None
    wall0, cpu0 = time.perf_counter(), time.process_time()  # process CPU: every thread of this process
    if profiler is not None:
        ctx.load_validators([source.url for source in sources])
        results = profiler.runcall(lambda: [poll(source, ctx) for source in sources])
    else:
        results = poll_many(sources, ctx)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if profiler is not None:
        print(f"--- cProfile of {name} ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(profile).print_stats(PROFILE_LINES)
    failed = [r for r in results if not r.outcome.ok or r.outcome.broken]
    articles = sum(r.new_documents for r in results)
    not_modified = sum(r.not_modified for r in results)
    print(f"{name}: {len(sources):,} sources, {articles:,} new articles, {not_modified:,} lists not modified, "
          f"{len(failed)} failed polls; {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"  {len(sources) / wall:,.1f} sources/s, {articles / wall:,.1f} articles/s, "
          f"{cpu / len(sources):.4f} s CPU per source"
          + (f" ({cpu / articles * 1000:.1f} ms per article)" if articles else "")
          + f"; peak RSS so far {peak_rss_mb():.0f} MB", flush=True)
    for r in failed[:3]:
        print(f"  failed: {r.source_id}: {r.outcome.error or r.outcome.blocked or r.outcome.broken}")
    return Cycle(len(sources), articles, wall, cpu, results)


def database(spec: str | None, folder: Path):
    """(url, throwaway server or None): SQLite in `folder`, a throwaway PostgreSQL, or the URL given."""
    if spec is None:
        return f"sqlite:///{folder / 'bench.db'}", None
    if spec == "postgresql":
        from support.postgres import start_postgres

        folder.chmod(0o755)  # the PostgreSQL server runs as its own user
        server = start_postgres(folder / "pg")
        return server.create_database("bench"), server
    return spec, None


def report(cold: Cycle, warm: list[Cycle]) -> None:
    """The summary lines: cold totals, then cold and median-warm rates."""
    mid = sorted(warm, key=lambda c: c.wall)[len(warm) // 2]
    print(f"cold: {sum(r.new_items for r in cold.results):,} items stored, "
          f"{sum(r.alerts for r in cold.results):,} alerts queued; {dt.date.today()}, "
          f"Python {sys.version.split()[0]}, {sites.revision()}")
    print(f"cold {cold.sources:,} sources: {cold.sources / cold.wall:.1f} sources/s, "
          f"{cold.articles / cold.wall:.1f} articles/s, {cold.cpu / cold.sources:.3f} s CPU/source | "
          f"warm {mid.sources:,} sources (median of {len(warm)}): {mid.sources / mid.wall:.0f} sources/s, "
          f"{mid.cpu / mid.sources * 1000:.1f} ms CPU/source | peak RSS {peak_rss_mb():.0f} MB")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=1000, help="sources in the warm cycle")
    ap.add_argument("--cold-sources", type=int, default=None,
                    help="sources in the cold cycle (default: --sources); the rest are primed untimed")
    ap.add_argument("--workers", type=int, default=8, help="polls at once (settings.workers)")
    ap.add_argument("--latency", type=float, default=0.0, metavar="MS", help="server delay before every answer")
    ap.add_argument("--database-url", default=None,
                    help="an empty database to use (default: SQLite in a temporary folder); "
                         "'postgresql' starts a throwaway PostgreSQL server")
    ap.add_argument("--warm-runs", type=int, default=3, help="warm cycles, one after the other")
    ap.add_argument("--profile", nargs="?", const="cumulative", default=None, metavar="SORT",
                    help="poll one source at a time in one thread under cProfile and print the top functions "
                         "(pstats sort key, default cumulative); the timings then measure that mode")
    ap.add_argument("--profile-cpu", action="store_true", help="with --profile: time by the thread's CPU clock")
    ap.add_argument("--log-level", default="INFO", help="structlog level; logs go to a file in the temp folder")
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    cold_n = min(args.sources, args.cold_sources or args.sources)
    folder = Path(tempfile.mkdtemp(prefix="edu-monitor-poll-bench-"))
    url, pg = database(args.database_url, folder)
    log_file = (folder / "poll.log").open("w", encoding="utf-8")
    try:
        configure_logging(args.log_level, json_lines=True, stream=log_file)
        upgrade(url)
        settings = Settings(database_url=url, workers=args.workers, http=HttpConfig(min_delay=0))
        engine = make_engine(url)
        print(f"edu-monitor poll benchmark: {os.cpu_count()} CPUs, {url.split(':', 1)[0]} database, "
              f"workers={settings.workers}, http.min_delay=0 (service default 2 s), per_host={settings.http.per_host}, "
              f"server latency {args.latency:g} ms, log level {args.log_level}")
        with sites.serve(args.sources, latency_ms=args.latency) as urls:
            sources = make_sources(urls, folder)
            fetcher = Fetcher(settings.http)
            ctx = PollContext(engine=engine, fetcher=fetcher, routes=load_routes(settings), settings=settings)
            try:
                cold = cycle(f"cold cycle ({sites.ARTICLES} new articles per list)", sources[:cold_n], ctx,
                             args.profile, args.profile_cpu)
                if cold_n < len(sources):
                    started = time.perf_counter()
                    poll_many(sources[cold_n:], ctx)
                    print(f"(primed the other {len(sources) - cold_n:,} sources untimed in "
                          f"{time.perf_counter() - started:.0f} s)")
                warm = [cycle(f"warm cycle {n} of {args.warm_runs} (nothing changed: conditional GET, 304)",
                              sources, ctx, args.profile, args.profile_cpu) for n in range(1, args.warm_runs + 1)]
            finally:
                fetcher.close()
        engine.dispose()
        report(cold, warm)
    finally:
        log_file.close()
        if pg is not None:
            pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
