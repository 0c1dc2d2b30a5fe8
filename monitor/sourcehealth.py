"""Source health: record each poll's outcome and tell the operator once per change, not once per poll."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from monitor.models import Alert, SourceState, utcnow
from monitor.pollrecord import Deferred, HealthBatch, PollOutcome, good_poll
from monitor.store import add_alert

__all__ = ["HealthBatch", "PollOutcome", "good_poll", "health_batch", "record_healthy_poll", "record_poll"]

BAD = {"failing", "blocked", "broken", "drifted"}


def _status(state: SourceState, outcome: PollOutcome, failures_before_alert: int) -> str:
    if outcome.blocked:
        return "blocked"
    if outcome.broken:
        return "broken"
    if not outcome.ok:
        return "failing" if state.consecutive_failures >= failures_before_alert else state.status
    return "drifted" if outcome.drifted else "ok"


def record_poll(session: Session, source_id: str, source_name: str, outcome: PollOutcome, *,
                operator_tag: str, failures_before_alert: int, now: datetime | None = None) -> Alert | None:
    """Update SourceState; write an operator alert when the status the operator knows changes."""
    now = now or utcnow()
    state = session.get(SourceState, source_id) or SourceState(source_id=source_id)
    state.polls += 1
    state.last_poll_at = now
    state.documents += outcome.documents
    if outcome.ok and not outcome.broken:
        state.consecutive_failures, state.last_success_at = 0, now
        state.last_error, state.blocked_reason = outcome.drifted, None
    else:
        state.consecutive_failures += 1
        state.last_error = outcome.error or outcome.blocked or outcome.broken
        state.blocked_reason = outcome.blocked
    state.status = _status(state, outcome, failures_before_alert)
    session.add(state)
    alert = _transition_alert(session, state, source_name, operator_tag, now)
    if alert is not None or state.status == "ok":
        state.alerted_status = state.status
    return alert


_TABLE = SourceState.__table__  # type: ignore[attr-defined]
# Built once: the statement of the common case, executed through Core (no ORM unit of work).
_GOOD_POLL = (
    update(_TABLE)
    .where(_TABLE.c.source_id == bindparam("sid"), _TABLE.c.status == "ok", _TABLE.c.alerted_status == "ok",
           _TABLE.c.consecutive_failures == 0)
    .values(polls=_TABLE.c.polls + 1, last_poll_at=bindparam("now"), last_success_at=bindparam("now"),
            documents=_TABLE.c.documents + bindparam("docs"), last_error=None, blocked_reason=None))


def record_healthy_poll(engine: Engine, source_id: str, outcome: PollOutcome, now: datetime) -> bool:
    """The common case, a good poll of a source that was fine: one UPDATE on a bare connection (no
    session, no load, no alert). False when the poll was not good, the row is missing or the
    source was not healthy: then record_poll decides."""
    if not good_poll(outcome):
        return False
    with engine.begin() as conn:
        return _healthy_update(conn, source_id, outcome, now)


def _healthy_update(conn: Connection, source_id: str, outcome: PollOutcome, now: datetime) -> bool:
    return conn.execute(_GOOD_POLL, {"sid": source_id, "now": now, "docs": outcome.documents}).rowcount == 1


def health_batch(engine: Engine, size: int = 100, max_wait: float = 1.0) -> HealthBatch:
    """A cycle's HealthBatch writing each chunk through `engine` in one transaction."""

    def write(chunk: list[Deferred]) -> list[Deferred]:
        with engine.begin() as conn:
            return [(source, outcome, now) for source, outcome, now in chunk
                    if not _healthy_update(conn, source.id, outcome, now)]

    return HealthBatch(write, size, max_wait)


def _transition_alert(session: Session, state: SourceState, name: str, tag: str,
                      now: datetime) -> Alert | None:
    if state.status == state.alerted_status or (state.status == "ok" and state.alerted_status not in BAD):
        return None
    if state.status == "drifted":
        title = f"数据源版面已变：{name}（已改用自动识别）"
        body = (f"Source {state.source_id}: {state.last_error}. Polling goes on with the automatically detected "
                "links; a notice follows when the selectors work again.")
    elif state.status in BAD:
        title = f"数据源异常：{name}（{state.status}）"
        body = (f"Source {state.source_id} is {state.status} after {state.consecutive_failures} failed poll(s): "
                f"{state.last_error or 'no detail'}. Last success: {state.last_success_at or 'never'}.")
    else:
        title = f"数据源已恢复：{name}"
        again = "its list selectors find the list again" if state.alerted_status == "drifted" else "works again"
        body = f"Source {state.source_id} {again} (poll {state.polls})."
    alert = Alert(key=f"source:{state.source_id}:{state.status}:{state.polls}", source_id=state.source_id,
                  route="source-health", channel_tag=tag, mode="operator", title=title, body=body,
                  created_at=now, next_attempt_at=now)
    return alert if add_alert(session, alert) else None
