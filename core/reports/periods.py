"""Report periods and slots, in London time (design.md "Reports").

A period is half-open, ``[start, end)``: an audit submitted exactly on a boundary
falls in exactly one report. Dates a person gives are whole London days, both
inclusive (``--from 2020-04-20 --to 2020-04-26`` is Monday 00:00 to the next
Monday 00:00); ISO instants are taken exactly.

Slots are the times reports fall due: the SMT report on each of
``reports.smt_days`` at ``smt_time``, the weekly report on ``weekly_day`` at
``weekly_time``, London wall-clock time, so a slot stays at 08:00 across the clock
changes (the UTC instant moves by an hour). A time the clocks skip (01:30 on the
last Sunday of March) is read as the instant before the change, plus its minutes
(02:30 BST); a time they repeat (01:30 on the last Sunday of October) is its
first occurrence.

- The SMT report at a slot covers the previous slot up to that slot; without a
  slot (a preview now) it runs from the latest slot up to now: what the next
  report holds so far.
- The weekly report covers a whole reporting week (``week_starts`` midnight to the
  next): at a slot, and without one, the last complete week before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..clock import LONDON, as_utc, local
from ..config import WEEKDAYS, ReportSettings
from ..errors import StateError

KINDS = ("smt", "weekly")
KIND_TITLES = {"smt": "SMT report", "weekly": "weekly report"}  # as in a sentence
# How far back a slot is looked for: a week holds at least one slot of each kind.
_SEARCH_DAYS = 8


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC. ``slot``: the scheduled slot it belongs to, if any."""

    start: datetime
    end: datetime
    slot: datetime | None = None

    @property
    def whole_days(self) -> bool:
        """Both ends at London midnight: shown as dates, the end day inclusive."""
        return all(local(t).time() == time(0) for t in (self.start, self.end))


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise StateError(f"no report kind '{kind}' (one of {', '.join(KINDS)})")
    return kind


def at_london(day: date, hhmm: str = "00:00") -> datetime:
    """The UTC instant of ``hhmm`` London wall-clock time on ``day``."""
    hh, mm = (int(x) for x in hhmm.split(":"))
    return as_utc(datetime(day.year, day.month, day.day, hh, mm, tzinfo=LONDON))


def _days_and_time(rs: ReportSettings, kind: str) -> tuple[set[int], str]:
    check_kind(kind)
    if kind == "smt":
        return {WEEKDAYS.index(d) for d in rs.smt_days}, rs.smt_time
    return {WEEKDAYS.index(rs.weekly_day)}, rs.weekly_time


def _slots_near(rs: ReportSettings, kind: str, around: datetime, days: range) -> list[datetime]:
    weekdays, hhmm = _days_and_time(rs, kind)
    base = local(around).date()
    out = []
    for k in days:
        d = base + timedelta(days=k)
        if d.weekday() in weekdays:
            out.append(at_london(d, hhmm))
    return sorted(out)


def latest_slot(rs: ReportSettings, kind: str, at: datetime) -> datetime:
    """The most recent slot of ``kind`` at or before ``at``."""
    return max(s for s in _slots_near(rs, kind, at, range(-_SEARCH_DAYS, 1)) if s <= at)


def previous_slot(rs: ReportSettings, kind: str, slot: datetime) -> datetime:
    """The slot before ``slot`` (strictly earlier)."""
    return max(s for s in _slots_near(rs, kind, slot, range(-_SEARCH_DAYS, 1)) if s < slot)


def next_slot(rs: ReportSettings, kind: str, slot: datetime) -> datetime:
    """The slot after ``slot`` (strictly later)."""
    return min(s for s in _slots_near(rs, kind, slot, range(0, _SEARCH_DAYS + 1)) if s > slot)


def slots_between(rs: ReportSettings, kind: str, after: datetime, before: datetime) -> list[datetime]:
    """Every slot strictly after ``after`` and strictly before ``before``, oldest first."""
    out = []
    s = next_slot(rs, kind, after)
    while s < before:
        out.append(s)
        s = next_slot(rs, kind, s)
    return out


def week_start(rs: ReportSettings, at: datetime) -> datetime:
    """London midnight starting the reporting week that holds ``at``."""
    d = local(at).date()
    back = (d.weekday() - WEEKDAYS.index(rs.week_starts)) % 7
    return at_london(d - timedelta(days=back))


def week_of(start: datetime) -> Period:
    """The reporting week beginning at ``start`` (a week start): seven London days, so
    167 or 169 hours across a clock change."""
    d = local(start).date()
    return Period(at_london(d), at_london(d + timedelta(days=7)))


def weeks_before(week: Period, n: int) -> list[Period]:
    """The ``n`` reporting weeks before ``week``, oldest first."""
    d = local(week.start).date()
    return [Period(at_london(d - timedelta(days=7 * k)), at_london(d - timedelta(days=7 * (k - 1))))
            for k in range(n, 0, -1)]


def slot_period(rs: ReportSettings, kind: str, slot: datetime) -> Period:
    """What the report sent at ``slot`` covers: SMT, the previous slot up to this one;
    weekly, the last complete reporting week before it."""
    check_kind(kind)
    if kind == "smt":
        return Period(previous_slot(rs, kind, slot), slot, slot)
    this_week = week_start(rs, slot)
    start = local(this_week).date() - timedelta(days=7)
    return Period(at_london(start), this_week, slot)


def default_period(rs: ReportSettings, kind: str, now: datetime) -> Period:
    """Without dates: SMT from the latest slot up to now (the next report so far);
    weekly, the last complete week before now."""
    check_kind(kind)
    if kind == "smt":
        return Period(latest_slot(rs, kind, now), now)
    this_week = week_start(rs, now)
    start = local(this_week).date() - timedelta(days=7)
    return Period(at_london(start), this_week)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _instant(text: str, what: str) -> datetime:
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        return as_utc(datetime.fromisoformat(raw))
    except ValueError:
        raise StateError(f"{what} '{text}' is not a date (YYYY-MM-DD) or an ISO-8601 time") from None


def parse_bound(text: str, *, end: bool, what: str) -> datetime:
    """One end of a period as a person types it: a date is a whole London day (the
    start of it for ``from``, the end of it for ``to``); anything else an ISO instant
    (London wall time unless it carries an offset)."""
    text = text.strip()
    if _is_date(text):
        d = date.fromisoformat(text)
        return at_london(d + timedelta(days=1) if end else d)
    return _instant(text, what)


def parse_period(rs: ReportSettings, kind: str, start: str | None, end: str | None,
                 now: datetime) -> Period:
    """The period for ``--from`` / ``--to`` (either may be None: the default period;
    ``from`` alone runs up to now)."""
    check_kind(kind)
    if not start and not end:
        return default_period(rs, kind, now)
    if not start:
        raise StateError("a period needs its start (from) as well as its end (to)")
    lo = parse_bound(start, end=False, what="from")
    hi = parse_bound(end, end=True, what="to") if end else now
    if lo >= hi:
        raise StateError(f"the period's start (from {start}) is not before its end"
                         f" (to {end or 'now'})")
    return Period(lo, hi)
