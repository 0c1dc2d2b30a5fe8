"""The Chinese working-day calendar: public holidays and their 调休 make-up working days.

chinese_calendar knows each year once the State Council publishes its schedule (late in the year
before). Past the last year it knows, a working day is Monday to Friday — holidays and make-up
days of that year are not known yet — and a warning says so once per year.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import chinese_calendar
import structlog

log = structlog.get_logger()


@cache
def _unknown_year(year: int) -> bool:
    """True (warned once) when the calendar has no schedule for this year."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        log.warning("workdays.year_unknown", year=year, fallback="Monday to Friday")
        return True
    return False


def is_workday(day: dt.date) -> bool:
    if _unknown_year(day.year):
        return day.weekday() < 5
    return bool(chinese_calendar.is_workday(day))


def add_workdays(start: dt.date, count: int) -> dt.date:
    """The day `count` working days after `start` (start itself not counted): 5个工作日内 of a notice
    signed on a Friday before National Day ends well into October, make-up Saturdays included."""
    day, left = start, count
    while left > 0:
        day += dt.timedelta(days=1)
        left -= is_workday(day)
    return day
