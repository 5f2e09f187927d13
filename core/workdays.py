"""Working days: weekends and England (or the configured region's) bank holidays are skipped.

Realistic timescales for recommended actions and escalation respond-by times are
counted in working days (design.md), with bank holidays from the ``holidays`` package.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from .clock import LONDON, as_utc, local
from .config import Settings

if TYPE_CHECKING:
    import holidays


@lru_cache(maxsize=8)
def _calendar(region: str) -> holidays.HolidayBase:
    import holidays  # tens of milliseconds to import: only when a date is worked out

    return holidays.country_holidays("GB", subdiv=region)


def bank_holiday(d: date, region: str = "ENG") -> str | None:
    """The bank holiday's name on ``d``, or None."""
    return _calendar(region).get(d)


def is_working_day(d: date, region: str = "ENG") -> bool:
    """Monday to Friday and not a bank holiday in ``region`` (ENG, WLS, SCT, NIR)."""
    return d.weekday() < 5 and d not in _calendar(region)


def add_working_days(d: date, n: int, region: str = "ENG") -> date:
    """The date ``n`` working days after ``d`` (before it when ``n`` is negative).

    ``d`` itself need not be a working day: one working day after a Saturday is the Monday.
    """
    step = 1 if n >= 0 else -1
    left = abs(n)
    while left:
        d += timedelta(days=step)
        if is_working_day(d, region):
            left -= 1
    return d


def add_working_time(dt: datetime, n_days: int, region: str = "ENG") -> datetime:
    """The same London clock time ``n_days`` working days later, as aware UTC.

    A respond-by time set at 16:30 on Thursday 7 May 2020 with one working day is
    16:30 on Monday 11 May (Friday 8 May was a bank holiday).
    """
    here = local(dt)
    day = add_working_days(here.date(), n_days, region)
    wall = datetime.combine(day, here.time().replace(tzinfo=None))
    return as_utc(wall.replace(tzinfo=LONDON))


def suggest_due(audit_date: date, settings: Settings) -> date:
    """Default due date for a new recommended action: a realistic number of working days on."""
    wf = settings.workflow
    return add_working_days(audit_date, wf.action_due_working_days, wf.bank_holiday_region)
