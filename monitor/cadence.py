"""Cadence alarms: a source whose polls succeed but that has published nothing for far longer than
usual (a column moved to a new address, a CMS serving a frozen copy of its list) is as lost as a
broken one, yet no poll fails. Each source's rhythm is learnt from the dates of what it stored; the
operator hears once when it goes quiet and once when it publishes again.

The rule, and why:
- A document's date is its publish date, else the day it was first seen.
- Gaps are counted between distinct publishing days (ten notices on one day are one event, so a busy
  source's usual gap is never 0), over its latest `RECENT_DAYS` publishing days (rhythms change).
- No judgement before `MIN_DOCUMENTS` dated documents spanning `MIN_GAPS` gaps: a rhythm learnt from
  two or three dates is noise, and a false alarm teaches the operator to ignore the real one.
- Quiet after max(`MIN_QUIET`, `FACTOR` × the 80th-percentile gap). An upper quantile rather than the
  median, so a bursty source (three notices a week, then a month of nothing) is judged by its long
  gaps, not its short ones; a factor of 2, so a monthly report one week late is no alarm but a missed
  month is; at least two weeks, so the Spring Festival or National Day holiday never raises one.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.db import session_scope
from monitor.models import Alert, Document, SourceState, utcnow
from monitor.store import add_alert

log = structlog.get_logger()

MIN_DOCUMENTS = 6
MIN_GAPS = 4
RECENT_DAYS = 40
FACTOR = 2.0
MIN_QUIET = 14.0  # days
SAMPLE = 400  # most recently stored documents a rhythm is read from
ROUTE = "source-cadence"
HEALTHY = {"ok", "drifted"}  # polls that succeed (a failing source is the health notices' business)


@dataclass(frozen=True)
class Cadence:
    """A source's rhythm: its usual gap, how long it has been quiet, and when that is too long."""

    last_day: date | None = None  # of the latest entry, in the sites' time zone
    quiet_days: int = 0
    usual_gap_days: float | None = None  # None: too little history to judge
    quiet_after_days: float | None = None

    @property
    def quiet(self) -> bool:
        return self.quiet_after_days is not None and self.quiet_days > self.quiet_after_days

    def as_json(self) -> dict[str, Any]:
        return {"usual_gap_days": self.usual_gap_days, "quiet_days": self.quiet_days if self.last_day else None,
                "quiet_after_days": self.quiet_after_days, "quiet": self.quiet,
                "last_entry": self.last_day.isoformat() if self.last_day else None}


def learn(dates: Sequence[datetime], now: datetime, timezone: str = "Asia/Shanghai") -> Cadence:
    """The rhythm of a source that stored documents of these dates, judged at `now`."""
    dates = [d for d in dates if d <= now + timedelta(days=1)]  # a mis-read date in the future says nothing
    if not dates:
        return Cadence()
    zone = ZoneInfo(timezone)
    days = sorted({d.astimezone(zone).date() for d in dates})
    quiet = (now.astimezone(zone).date() - days[-1]).days
    gaps = [(b - a).days for a, b in pairwise(days[-RECENT_DAYS:])]
    if len(dates) < MIN_DOCUMENTS or len(gaps) < MIN_GAPS:
        return Cadence(last_day=days[-1], quiet_days=quiet)
    upper = statistics.quantiles(gaps, n=5, method="inclusive")[3]
    return Cadence(last_day=days[-1], quiet_days=quiet, usual_gap_days=round(statistics.median(gaps), 1),
                   quiet_after_days=round(max(MIN_QUIET, FACTOR * upper), 1))


def stored_dates(session: Session, source_id: str) -> list[datetime]:
    """Publish (else first-seen) dates of the source's most recently stored documents."""
    rows = session.exec(select(Document.published_at, Document.fetched_at)
                        .where(Document.source_id == source_id)
                        .order_by(col(Document.id).desc()).limit(SAMPLE)).all()
    return [published or fetched for published, fetched in rows]


def source_cadence(engine: Engine, source_ids: Sequence[str], timezone: str,
                   now: datetime | None = None) -> dict[str, Cadence]:
    """Each source's rhythm as of `now` (for `sources list`)."""
    now = now or utcnow()
    with session_scope(engine) as session:
        return {sid: learn(stored_dates(session, sid), now, timezone) for sid in source_ids}


def check_cadence(engine: Engine, sources: Sequence[Any], *, timezone: str, operator_tag: str,
                  now: datetime | None = None) -> list[Alert]:
    """Raise the quiet and back-again notices due for these sources; each at most once, ever (its
    ledger key names the source and the day of the entry the silence started after)."""
    now = now or utcnow()
    raised: list[Alert] = []
    with session_scope(engine) as session:
        told = _told(session)
        healthy = {s.source_id for s in session.exec(select(SourceState)).all()
                   if s.status in HEALTHY and not s.consecutive_failures}
        for source in sources:
            if not source.enabled:
                continue
            cadence = learn(stored_dates(session, source.id), now, timezone)
            for alert in _notices(source, cadence, source.id in healthy, told.get(source.id, set())):
                alert.channel_tag, alert.created_at, alert.next_attempt_at = operator_tag, now, now
                if add_alert(session, alert):
                    raised.append(alert)
                    log.warning("source.cadence", source=source.id, title=alert.title)
    return raised


def _told(session: Session) -> dict[str, set[tuple[str, str]]]:
    """The cadence notices already written, as {source id: {(quiet|back, day)}}: the alert ledger is
    the state, so no table or column is needed to remember them."""
    told: dict[str, set[tuple[str, str]]] = {}
    for key in session.exec(select(Alert.key).where(col(Alert.key).startswith("cadence:"))).all():
        head, kind, day = key.rsplit(":", 2)
        told.setdefault(head.removeprefix("cadence:"), set()).add((kind, day))
    return told


def _notices(source: Any, cadence: Cadence, healthy: bool, told: set[tuple[str, str]]) -> list[Alert]:
    """A back-again notice for a silence told of that a newer entry ended; a quiet notice for a
    healthy source's new silence."""
    if cadence.last_day is None:
        return []
    last = cadence.last_day.isoformat()
    alerts = [_back(source, cadence, day) for kind, day in sorted(told)
              if kind == "quiet" and ("back", day) not in told and day < last]
    if cadence.quiet and healthy and ("quiet", last) not in told:
        alerts.append(_quiet(source, cadence))
    return alerts


def _quiet(source: Any, cadence: Cadence) -> Alert:
    usual = f"{cadence.usual_gap_days:g}"
    title = f"没有新内容：{source.name}（已{cadence.quiet_days}天未发布，通常约每{usual}天一篇）"
    body = (f"Source {source.id} has stored no new entry for {cadence.quiet_days} days (latest dated "
            f"{cadence.last_day}); it usually publishes every {usual} days, quiet after {cadence.quiet_after_days:g}. "
            "Its polls succeed: check that the column has not moved or frozen. A notice follows when it "
            "publishes again.")
    return _alert(source, f"quiet:{cadence.last_day}", title, body)


def _back(source: Any, cadence: Cadence, since: str) -> Alert:
    title = f"又有新内容：{source.name}"
    body = f"Source {source.id} publishes again: a new entry dated {cadence.last_day}, the first since {since}."
    return _alert(source, f"back:{since}", title, body)


def _alert(source: Any, what: str, title: str, body: str) -> Alert:
    """The notice, addressed and timed by check_cadence."""
    return Alert(key=f"cadence:{source.id}:{what}", source_id=source.id, route=ROUTE, channel_tag="",
                 mode="operator", title=title, body=body)
